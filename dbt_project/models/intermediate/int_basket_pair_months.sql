{{ incremental_on_duckdb('month_start') }}

-- Per calendar month of the order: the completed baskets holding each unordered product pair (product_a <
-- product_b). product_affinity adds the months up and keeps the pairs of frequent products; the self-join runs on
-- one month's baskets at a time after the first build. Incremental on DuckDB (delete+insert by month).

with

{{ basket_ctes() }},

final as (

    select
        a.month_start,
        a.product_id as product_a,
        b.product_id as product_b,
        count(*) as baskets_with_pair,
        max(a.loaded_at) as loaded_at
    from baskets as a
    inner join baskets as b
        on a.order_id = b.order_id
        and a.product_id < b.product_id
    group by a.month_start, a.product_id, b.product_id

)

select * from final
