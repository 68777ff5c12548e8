{#-
  Order KPIs rolled up to one calendar period (day / week / month), shared by daily_kpis,
  weekly_kpis and monthly_kpis so the three can never disagree.
  period: a DuckDB date_trunc part ('day', 'week' = ISO week starting Monday, 'month').
  Orders come from int_orders (one row per order, all statuses, anonymous orders included).
  Incremental on DuckDB (delete+insert by period): a later build recomputes only the periods an order loaded
  since the table's newest load (loaded_at) falls in, plus, for a customer whose new order is earlier than their
  first completed order before (a late delivery), the period of that first order (their "new" period moves).
  On Spark: rebuilt.
-#}
{% macro period_kpis(period, period_column) %}

{{ incremental_on_duckdb(period_column) }}

with

every_order as (

    select * from {{ ref('int_orders') }}

),

{%- if is_incremental_with('loaded_at') %}

arrived as (

    select * from every_order where loaded_at > {{ last_loaded_at() }}

),

periods_to_build as (

    select distinct cast(date_trunc('{{ period }}', ordered_at) as date) as period_start from arrived
    union
    -- a customer whose newly loaded completed order is earlier than their first before: the period they
    -- counted as new in before changes too
    select cast(date_trunc('{{ period }}', held.first_completed_order_at) as date)
    from (
        select customer_id, min(ordered_at) as first_completed_order_at
        from every_order
        where is_completed and loaded_at <= {{ last_loaded_at() }}
            and customer_id in (select customer_id from arrived where is_completed)
        group by customer_id
    ) as held
    join (
        select customer_id, min(ordered_at) as first_completed_order_at
        from arrived
        where is_completed
        group by customer_id
    ) as arriving using (customer_id)
    where arriving.first_completed_order_at < held.first_completed_order_at

),

orders as (

    select * from every_order
    where cast(date_trunc('{{ period }}', ordered_at) as date) in (select period_start from periods_to_build)

),

{%- else %}

orders as (

    select * from every_order

),

{%- endif %}

customer_first_orders as (

    select
        customer_id,
        min(ordered_at) filter (where is_completed) as first_completed_order_at
    from every_order
    where customer_id in (select customer_id from orders)
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
        count(*) filter (where is_completed and customer_id is null) as anonymous_orders,
        max(loaded_at) as loaded_at
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
        {{ safe_divide('cancelled_orders', 'all_orders') }} as cancellation_rate,
        loaded_at
    from aggregated

)

select * from final

{% endmacro %}
