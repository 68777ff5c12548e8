{{ incremental_on_duckdb('customer_id') }}

{#- Each known customer's buying per whole calendar month, quarter, year and all time: completed orders, months
    with one, net revenue and net units. Answers "share of 2011 revenue from our top 10 customers" and "the top 1% of
    customers" with one sorted read of a period's customers instead of a sum per customer over every order, and
    period_customers counts these rows. Incremental on DuckDB: a later build replaces all the rows of the customers
    with an order_facts row rewritten since this table's last build (`refreshed_at`: a new order, or a country that
    moved). On Spark it is rebuilt whole. -#}

with

known_orders as (

    select customer_id, country, month_start, is_completed, revenue, units
    from {{ ref('order_facts') }}
    where customer_id is not null
    {%- if is_incremental_with('refreshed_at') %}
        and customer_id in (
            select customer_id from {{ ref('order_facts') }}
            where refreshed_at > (select max(refreshed_at) from {{ this }})
        )
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
        sum(case when is_completed then 1 else 0 end) as orders,
        count(distinct case when is_completed then month_start end) as active_months,
        sum(revenue) as revenue,
        sum(units) as units,
        {{ dbt.current_timestamp() }} as refreshed_at
    from per_period
    group by period_grain, period_start, period_key, customer_id, country

)

select * from final
