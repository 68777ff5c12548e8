{{ config(materialized='table') }}

{#- One row per order, for questions no rolled-up mart can answer: any measure by country, RFM segment
    or favourite category over any period, and conditions on orders. Rebuilt whole (customers' segments move
    every day) from int_orders, which is incremental, not from the lines. -#}

with

orders as (

    select * from {{ ref('int_orders') }}

),

customers as (

    select * from {{ ref('customer_360') }}

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        customers.country,
        customers.segment,
        customers.favourite_category,
        orders.ordered_at,
        orders.order_date,
        cast(date_trunc('month', orders.order_date) as date) as month_start,
        orders.is_completed,
        orders.is_cancelled,
        orders.lines,
        orders.cancelled_lines,
        orders.returned_lines,
        orders.units,
        orders.returned_units,
        orders.cancelled_units,
        orders.gross_revenue,
        orders.returned_revenue,
        orders.cancelled_revenue,
        orders.net_revenue as revenue
    from orders
    left join customers on orders.customer_id = customers.customer_id

)

-- sorted by country then date: DuckDB's min/max per row group then skips every other country's orders
select * from final
order by country, order_date
