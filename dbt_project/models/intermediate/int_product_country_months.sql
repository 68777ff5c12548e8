{{ incremental_on_duckdb('month_start') }}

-- Product sales per calendar month and customer country (null: lines without a known customer), for product
-- questions by country ("top products in France", "units of X outside the UK") and per product cancelled and
-- returned units, and cancelled lines, orders and value. Incremental on DuckDB like int_product_months: a build
-- recomputes only the months a line loaded since the table's newest load falls in, and those holding a line of a
-- customer loaded since then (a moved country). A table built before the cancelled columns is rebuilt whole, once.

with

lines as (

    {{ product_lines_to_rebuild(['loaded_at', 'cancelled_lines'], by_customer_country=true) }}

),

customers as (

    select customer_id, country from {{ ref('stg_customers') }}

),

final as (

    select
        cast(date_trunc('month', lines.order_date) as date) as month_start,
        lines.product_id,
        customers.country,
        sum(lines.net_amount) as revenue,
        cast(sum(case when lines.is_completed then lines.quantity else 0 end)
            - sum(case when lines.is_returned then lines.quantity else 0 end) as bigint) as quantity,
        cast(sum(case when lines.is_returned then lines.quantity else 0 end) as bigint) as returned_units,
        cast(sum(case when lines.is_cancelled then lines.quantity else 0 end) as bigint) as cancelled_units,
        cast(sum(case when lines.is_cancelled then 1 else 0 end) as bigint) as cancelled_lines,
        count(distinct case when lines.is_cancelled then lines.order_id end) as cancelled_orders,
        sum(case when lines.is_cancelled then lines.line_amount else 0 end) as cancelled_revenue,
        count(distinct case when lines.is_completed then lines.order_id end) as orders,
        count(distinct case when lines.is_completed then lines.customer_id end) as customers,
        max(lines.loaded_at) as loaded_at
    from lines
    left join customers on lines.customer_id = customers.customer_id
    group by all

)

select * from final
