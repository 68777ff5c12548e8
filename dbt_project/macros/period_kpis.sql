{#-
  Order KPIs rolled up to one calendar period (day / week / month), shared by daily_kpis,
  weekly_kpis and monthly_kpis so the three can never disagree.
  period: a DuckDB date_trunc part ('day', 'week' = ISO week starting Monday, 'month').
  Orders come from int_orders (one row per order, all statuses, anonymous orders included).
-#}
{% macro period_kpis(period, period_column) %}

with

orders as (

    select * from {{ ref('int_orders') }}

),

customer_first_orders as (

    select
        customer_id,
        min(ordered_at) filter (where is_completed) as first_completed_order_at
    from orders
    where customer_id is not null
    group by customer_id

),

orders_in_period as (

    select
        -- named apart from int_orders' own order_date, which a daily roll-up would otherwise repeat
        cast(date_trunc('{{ period }}', orders.ordered_at) as date) as period_start,
        orders.*,
        cast(date_trunc('{{ period }}', customer_first_orders.first_completed_order_at) as date)
            as customer_first_period
    from orders
    left join customer_first_orders
        on orders.customer_id = customer_first_orders.customer_id

),

aggregated as (

    select
        period_start as {{ period_column }},
        count(*) as all_orders,
        count(*) filter (where is_completed) as orders,
        count(*) filter (where is_cancelled) as cancelled_orders,
        coalesce(sum(gross_revenue), 0) as gross_revenue,
        coalesce(sum(returned_revenue), 0) as returned_revenue,
        coalesce(sum(net_revenue), 0) as revenue,
        count(distinct customer_id) filter (where is_completed) as active_customers,
        count(distinct customer_id) filter (
            where is_completed and customer_first_period = period_start
        ) as new_customers,
        count(*) filter (where is_completed and customer_id is null) as anonymous_orders
    from orders_in_period
    group by period_start

),

final as (

    select
        {{ period_column }},
        revenue,
        gross_revenue,
        returned_revenue,
        orders,
        all_orders,
        cancelled_orders,
        anonymous_orders,
        active_customers,
        new_customers,
        active_customers - new_customers as returning_customers,
        {{ safe_divide('revenue', 'orders') }} as avg_order_value,
        {{ safe_divide('cancelled_orders', 'all_orders') }} as cancellation_rate
    from aggregated

)

select * from final

{% endmacro %}
