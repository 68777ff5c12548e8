{{ config(materialized='table') }}

{#- Each known customer's buying per whole calendar month, quarter, year and all time: completed orders, months
    with one, net revenue and net units. Answers "share of 2011 revenue from our top 10 customers" and "the top 1% of
    customers" with one sorted read of a period's customers instead of a sum per customer over every order, and
    period_customers counts these rows. Rebuilt whole, like order_facts it reads (a customer's country can change). -#}

with

known_orders as (

    select customer_id, country, month_start, is_completed, revenue, units
    from {{ ref('order_facts') }}
    where customer_id is not null

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
        sum(units) as units
    from per_period
    group by period_grain, period_start, period_key, customer_id, country

)

select * from final
