{%- set min_support_orders = var('affinity_min_support_orders') -%}
{%- set min_pair_orders = var('affinity_min_pair_orders') -%}

{#- Sums the monthly basket counts of int_basket_product_months and int_basket_pair_months (every count is
    additive over months: an order counts in the month it was placed), so a night recounts only the months with
    new lines. The thresholds apply to the all-time sums. -#}

with

product_months as (

    select * from {{ ref('int_basket_product_months') }}

),

total as (

    select cast(sum(baskets_in_month) as bigint) as total_orders
    from (
        select month_start, max(baskets_in_month) as baskets_in_month
        from product_months
        group by month_start
    ) as months

),

product_orders as (

    select
        product_id,
        cast(sum(baskets_with_product) as bigint) as product_orders
    from product_months
    group by product_id

),

frequent_products as (

    select *
    from product_orders
    where product_orders >= {{ min_support_orders }}

),

pairs as (

    select
        product_a,
        product_b,
        cast(sum(baskets_with_pair) as bigint) as pair_orders
    from {{ ref('int_basket_pair_months') }}
    group by product_a, product_b
    having sum(baskets_with_pair) >= {{ min_pair_orders }}

),

product_names as (

    select product_id, product_name from {{ ref('int_products') }}

),

final as (

    select
        pairs.product_a,
        pairs.product_b,
        names_a.product_name as product_a_name,
        names_b.product_name as product_b_name,
        pairs.pair_orders,
        freq_a.product_orders as product_a_orders,
        freq_b.product_orders as product_b_orders,
        total.total_orders,
        {{ safe_divide('pairs.pair_orders', 'total.total_orders') }} as support,
        {{ safe_divide('pairs.pair_orders', 'freq_a.product_orders') }} as confidence_a_to_b,
        {{ safe_divide('pairs.pair_orders', 'freq_b.product_orders') }} as confidence_b_to_a,
        {{ safe_divide(
            'cast(pairs.pair_orders as double) * total.total_orders',
            'cast(freq_a.product_orders as double) * freq_b.product_orders'
        ) }} as lift
    from pairs
    cross join total
    inner join frequent_products as freq_a on pairs.product_a = freq_a.product_id
    inner join frequent_products as freq_b on pairs.product_b = freq_b.product_id
    left join product_names as names_a on pairs.product_a = names_a.product_id
    left join product_names as names_b on pairs.product_b = names_b.product_id

)

select * from final
