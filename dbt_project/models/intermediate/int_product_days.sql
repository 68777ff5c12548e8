{{ incremental_on_duckdb('order_date') }}

-- Product sales per day from the lines, without names (product_sales_daily adds them), for product figures over
-- spans that are not whole months ("units of 84077 in the last 90 days"). Incremental on DuckDB (delete+insert
-- by day) like int_product_months: a later build recomputes only the days of the months a newly loaded line falls in.

with

lines as (

    {{ product_lines_to_rebuild() }}

),

final as (

    select
        order_date,
        product_id,
        sum(net_amount) as revenue,
        cast(sum(case when is_completed then quantity else 0 end)
            - sum(case when is_returned then quantity else 0 end) as bigint) as quantity,
        count(distinct case when is_completed then order_id end) as orders,
        max(loaded_at) as loaded_at
    from lines
    group by all

)

select * from final
