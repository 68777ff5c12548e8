{{ config(materialized='table') }}

{#- One row per order, for questions no rolled-up mart can answer: any measure by country, RFM segment
    or favourite category over any period, and conditions on orders. -#}

with

orders as (

    select * from {{ ref('int_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

customers as (

    select * from {{ ref('customer_360') }}

),

units_per_order as (

    select
        order_id,
        coalesce(sum(quantity) filter (where is_completed), 0)
            - coalesce(sum(quantity) filter (where is_returned), 0) as units,
        coalesce(sum(quantity) filter (where is_returned), 0) as returned_units,
        coalesce(sum(quantity) filter (where is_cancelled), 0) as cancelled_units
    from order_lines
    group by order_id

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
        units_per_order.units,
        units_per_order.returned_units,
        units_per_order.cancelled_units,
        orders.gross_revenue,
        orders.returned_revenue,
        orders.net_revenue as revenue
    from orders
    left join units_per_order on orders.order_id = units_per_order.order_id
    left join customers on orders.customer_id = customers.customer_id

)

-- sorted by country then date: DuckDB's min/max per row group then skips every other country's orders
select * from final
order by country, order_date
