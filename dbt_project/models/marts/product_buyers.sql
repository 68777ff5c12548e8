{{ incremental_on_duckdb('period_key') }}

-- Distinct buyers of each product per whole calendar month, quarter, year and all time, counted once per period
-- so that "products bought by the most customers in 2011" reads a few thousand rows instead of counting distinct
-- customers over product_customer_monthly (any other span still counts there). Incremental on DuckDB: a build
-- recomputes the periods holding a month that product_customer_monthly rewrote since this table's newest load
-- (and so always 'all').

with

buyer_months as (

    select month_start, product_id, customer_id, loaded_at from {{ ref('product_customer_monthly') }}

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
        count(distinct customer_id) as buyers,
        max(loaded_at) as loaded_at
    from per_period
    {%- if is_incremental_with('loaded_at') %}
    where period_key in (select period_key from per_period where loaded_at > {{ last_loaded_at() }})
    {%- endif %}
    group by period_grain, period_start, period_key, product_id

)

select * from final
