{{ config(materialized='table') }}

{#- Known customers' buying per whole calendar month, quarter, year and all time, by the customer's country:
    how many bought (distinct, so counted once per period), their completed orders and net revenue. Answers
    "revenue per customer in 2011" and "how many customers ordered in Q4" without counting distinct customers
    over every order. Rebuilt whole, like order_facts it reads (a customer's country can change). -#}

with

known_orders as (

    select customer_id, country, month_start, is_completed, revenue
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
        country,
        count(distinct case when is_completed then customer_id end) as customers,
        sum(case when is_completed then 1 else 0 end) as orders,
        sum(revenue) as revenue
    from per_period
    group by period_grain, period_start, period_key, country

)

select * from final
