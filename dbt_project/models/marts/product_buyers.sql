-- Distinct buyers of each product per whole calendar month, quarter, year and all time, counted once per period
-- so that "products bought by the most customers in 2011" reads a few thousand rows instead of counting distinct
-- customers over product_customer_monthly (any other span still counts there). A customer counts in the first
-- month of the period they bought the product in: the sums of int_product_buyer_months' first-time counts.

with

buyer_months as (

    select * from {{ ref('int_product_buyer_months') }}

),

per_period as (

    {{ rows_per_calendar_period('buyer_months') }}

),

final as (

    select
        period_grain,
        period_start,
        period_key,
        product_id,
        cast(sum(
            case period_grain
                when 'month' then buyers
                when 'quarter' then buyers_new_to_quarter
                when 'year' then buyers_new_to_year
                else first_time_buyers
            end
        ) as bigint) as buyers,
        max(loaded_at) as loaded_at
    from per_period
    group by period_grain, period_start, period_key, product_id

)

select * from final
