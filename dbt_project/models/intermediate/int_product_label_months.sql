{{ incremental_on_duckdb('month_start') }}

-- How often each product carried each name and category, per calendar month of its lines: int_products picks the
-- most used from these counts, so that picking reads a table of a few rows per product and month instead of every
-- order line each time a mart asks. Incremental on DuckDB (delete+insert by month): a later build recounts only
-- the months a line loaded since the table's newest load falls in.

with

lines as (

    {{ product_lines_to_rebuild() }}

),

final as (

    select
        cast(date_trunc('month', order_date) as date) as month_start,
        product_id,
        product_name,
        category,
        count(*) filter (where is_completed) as completed_lines,
        count(*) as lines,
        max(loaded_at) as loaded_at
    from lines
    group by all

)

select * from final
