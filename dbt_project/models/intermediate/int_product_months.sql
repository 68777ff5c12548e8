{{ incremental_on_duckdb('month_start') }}

-- Product sales per calendar month from the lines, without names (product_sales_monthly adds them, since a
-- product's name can change with any new line). Incremental on DuckDB (delete+insert by month): a later build
-- recomputes only the months a line loaded since the table's newest load (loaded_at) falls in.

with

lines as (

    {{ product_lines_to_rebuild() }}

),

final as (

    select
        cast(date_trunc('month', order_date) as date) as month_start,
        product_id,
        sum(net_amount) as revenue,
        cast(sum(case when is_completed then quantity else 0 end)
            - sum(case when is_returned then quantity else 0 end) as bigint) as quantity,
        count(distinct case when is_completed then order_id end) as orders,
        count(distinct case when is_completed then customer_id end) as customers,
        max(loaded_at) as loaded_at
    from lines
    group by all

)

select * from final
