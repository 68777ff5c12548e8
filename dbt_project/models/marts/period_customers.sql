{{ config(materialized='table') }}

{#- Known customers' buying per whole calendar month, quarter, year and all time, by the customer's country and
    the number of completed orders each placed in the period and the number of months they ordered in: how many
    customers, and their net revenue. Answers
    "revenue per customer in 2011", "how many customers ordered in Q4" and "customers with more than one order in
    2011", "customers who bought in every month of 2011" from a few thousand rows instead of a count per customer
    over every order. Rebuilt whole, like order_facts
    it reads (a customer's country can change). -#}

with

known_orders as (

    select customer_id, country, month_start, is_completed, revenue
    from {{ ref('order_facts') }}
    where customer_id is not null

),

per_period as (

    {{ rows_per_calendar_period('known_orders') }}

),

per_customer as (

    select
        period_grain,
        period_start,
        period_key,
        country,
        customer_id,
        sum(case when is_completed then 1 else 0 end) as orders,
        count(distinct case when is_completed then month_start end) as active_months,
        sum(revenue) as revenue
    from per_period
    group by period_grain, period_start, period_key, country, customer_id

),

final as (

    select
        period_grain,
        period_start,
        period_key,
        country,
        orders,
        active_months,
        count(*) as customers,
        sum(revenue) as revenue
    from per_customer
    group by period_grain, period_start, period_key, country, orders, active_months

)

select * from final
