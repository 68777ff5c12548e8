{{ incremental_on_duckdb('customer_id') }}
-- depends_on: {{ ref('customer_360') }}

{#- Each known customer's buying per whole calendar month, quarter, year and all time: completed orders, months
    with one, net revenue and net units. Answers "share of 2011 revenue from our top 10 customers" and "the top 1% of
    customers" with one sorted read of a period's customers instead of a sum per customer over every order, and
    period_customers counts these rows. Incremental on DuckDB: a later build replaces all the rows of the customers
    with an order loaded since this table's newest load (loaded_at) or whose country moved; a moved segment, which
    rewrites a customer's order_facts rows, changes nothing here. On Spark it is rebuilt whole. -#}

{%- set incremental = is_incremental_with('loaded_at') %}

with

{%- if incremental %}

customers_to_rebuild as (

    select customer_id from {{ ref('order_facts') }}
    where loaded_at > {{ last_loaded_at() }}
    union
    select held.customer_id
    from (select distinct customer_id, country from {{ this }}) as held
    inner join {{ ref('customer_360') }} as customers on held.customer_id = customers.customer_id
    where held.country is distinct from customers.country

),

{%- endif %}

known_orders as (

    select customer_id, country, month_start, is_completed, revenue, units, loaded_at
    from {{ ref('order_facts') }}
    where customer_id is not null
    {%- if incremental %}
        and customer_id in (select customer_id from customers_to_rebuild)
    {%- endif %}

),

per_period as (

    {{ rows_per_calendar_period('known_orders') }}

),

final as (

    select
        period_grain,
        period_start,
        period_key,
        customer_id,
        country,
        cast(sum(case when is_completed then 1 else 0 end) as bigint) as orders,
        count(distinct case when is_completed then month_start end) as active_months,
        sum(revenue) as revenue,
        cast(sum(units) as bigint) as units,
        max(loaded_at) as loaded_at
    from per_period
    group by period_grain, period_start, period_key, customer_id, country

)

select * from final
