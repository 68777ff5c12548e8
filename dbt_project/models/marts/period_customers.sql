{{ config(materialized='table') }}

{#- Known customers' buying per whole calendar month, quarter, year and all time, by the customer's country and
    the number of completed orders each placed in the period and the number of months they ordered in: how many
    customers, and their net revenue. Answers
    "revenue per customer in 2011", "how many customers ordered in Q4" and "customers with more than one order in
    2011", "customers who bought in every month of 2011" from a few thousand rows instead of a count per customer
    over every order. Counted from customer_periods, rebuilt whole with it. -#}

with

per_customer as (

    select * from {{ ref('customer_periods') }}

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
