{#- Order history per known customer, up to and including as_of; shared by customer_rfm and customer_360. -#}

with

orders as (

    select * from {{ ref('int_orders') }}

),

as_of as (

    select * from {{ ref('int_as_of') }}

),

orders_to_date as (

    select orders.*
    from orders
    cross join as_of
    where orders.customer_id is not null
        and orders.order_date <= as_of.as_of

),

aggregated as (

    select
        customer_id,
        count(*) as all_orders,
        count(*) filter (where is_completed) as completed_orders,
        min(ordered_at) filter (where is_completed) as first_order_at,
        max(ordered_at) filter (where is_completed) as last_order_at,
        sum(gross_revenue) as gross_revenue,
        sum(returned_revenue) as returned_revenue,
        sum(net_revenue) as net_revenue,
        cast(sum(lines) as bigint) as lines,
        cast(sum(completed_lines) as bigint) as completed_lines,
        cast(sum(cancelled_lines) as bigint) as cancelled_lines,
        cast(sum(returned_lines) as bigint) as returned_lines
    from orders_to_date
    group by customer_id

),

final as (

    select
        aggregated.*,
        as_of.as_of,
        {{ dbt.datediff('cast(aggregated.last_order_at as date)', 'as_of.as_of', 'day') }} as recency_days
    from aggregated
    cross join as_of

)

select * from final
