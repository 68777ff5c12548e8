{{ incremental_on_duckdb('month_start') }}

-- Per calendar month of the order: the completed baskets, and the baskets holding each product. product_affinity
-- adds the months up (an order counts in one month only), so a night recounts the months with new lines, not all
-- history. Incremental on DuckDB (delete+insert by month).

with

{{ basket_ctes() }},

month_totals as (

    select
        month_start,
        count(distinct order_id) as baskets_in_month
    from baskets
    group by month_start

),

final as (

    select
        baskets.month_start,
        baskets.product_id,
        count(*) as baskets_with_product,
        max(month_totals.baskets_in_month) as baskets_in_month,
        max(baskets.loaded_at) as loaded_at
    from baskets
    inner join month_totals on baskets.month_start = month_totals.month_start
    group by baskets.month_start, baskets.product_id

)

select * from final
