{{ incremental_on_duckdb('month_start') }}

-- Per calendar month and product: its known buyers that month, and how many of them bought it there for the first
-- time ever, in the quarter, and in the year (their previous month with the product lies before the quarter's or
-- the year's start). A customer counts once in a period, in the first month they bought in it, so product_buyers
-- adds these up instead of counting distinct customers over all history. Incremental on DuckDB (delete+insert by
-- month): a build recounts every month from the earliest month product_customer_monthly rewrote since this table's
-- newest load (a late purchase can make a later one no longer the first), reading only the history of the
-- customer x product pairs bought in those months.

with

buyer_months as (

    select month_start, product_id, customer_id, loaded_at from {{ ref('product_customer_monthly') }}

),

{%- if is_incremental_with('loaded_at') %}

months_to_recount as (

    select month_start from buyer_months
    where month_start >= (select min(month_start) from buyer_months where loaded_at > {{ last_loaded_at() }})

),

pairs_to_recount as (

    select distinct buyer_months.product_id, buyer_months.customer_id
    from buyer_months
    where buyer_months.month_start >= (select min(month_start) from months_to_recount)

),

history as (

    select buyer_months.*
    from buyer_months
    inner join pairs_to_recount
        on buyer_months.product_id = pairs_to_recount.product_id
        and buyer_months.customer_id = pairs_to_recount.customer_id

),

{%- else %}

history as (

    select * from buyer_months

),

{%- endif %}

with_previous_month as (

    select
        *,
        lag(month_start) over (partition by product_id, customer_id order by month_start) as previous_month
    from history

),

final as (

    select
        month_start,
        product_id,
        count(*) as buyers,
        count(*) filter (where previous_month is null) as first_time_buyers,
        count(*) filter (
            where previous_month is null or previous_month < cast(date_trunc('quarter', month_start) as date)
        ) as buyers_new_to_quarter,
        count(*) filter (
            where previous_month is null or previous_month < cast(date_trunc('year', month_start) as date)
        ) as buyers_new_to_year,
        max(loaded_at) as loaded_at
    from with_previous_month
    {%- if is_incremental_with('loaded_at') %}
    where month_start >= (select min(month_start) from months_to_recount)
    {%- endif %}
    group by month_start, product_id

)

select * from final
