{{ incremental_on_duckdb('month_start') }}

-- Who bought which product in which month, for the distinct buyers of a product over any period ("how many
-- customers bought the RABBIT NIGHT LIGHT", "products bought by the most customers in 2011"): counts of
-- customers do not add up over months, so the monthly marts cannot answer them. Known customers and completed
-- lines only. Incremental on DuckDB like int_product_months: a build recomputes only the months a line loaded
-- since the table's newest load falls in.

with

lines as (

    {{ product_lines_to_rebuild() }}

),

final as (

    select
        cast(date_trunc('month', order_date) as date) as month_start,
        product_id,
        customer_id,
        count(distinct order_id) as orders,
        cast(sum(quantity) as bigint) as quantity,
        max(loaded_at) as loaded_at
    from lines
    where is_completed and customer_id is not null
    group by all

)

select * from final
