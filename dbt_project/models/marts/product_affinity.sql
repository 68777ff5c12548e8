{%- set min_support_orders = var('affinity_min_support_orders') -%}
{%- set min_pair_orders = var('affinity_min_pair_orders') -%}
{%- set max_products = var('affinity_max_products_per_order') -%}

with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

basket_items as (

    -- one row per (completed order, product)
    select distinct
        order_id,
        product_id
    from order_lines
    where is_completed
        and product_id is not null

),

basket_sizes as (

    select
        order_id,
        count(*) as products_in_order
    from basket_items
    group by order_id

),

eligible_baskets as (

    -- baskets larger than the cap are left out of every count (numerators and denominators alike)
    select basket_items.*
    from basket_items
    inner join basket_sizes on basket_items.order_id = basket_sizes.order_id
    where basket_sizes.products_in_order <= {{ max_products }}

),

total as (

    select count(distinct order_id) as total_orders
    from eligible_baskets

),

product_orders as (

    select
        product_id,
        count(*) as product_orders
    from eligible_baskets
    group by product_id

),

frequent_products as (

    -- filter before the self-join so it stays tractable on large line tables
    select *
    from product_orders
    where product_orders >= {{ min_support_orders }}

),

frequent_items as (

    select eligible_baskets.*
    from eligible_baskets
    inner join frequent_products on eligible_baskets.product_id = frequent_products.product_id

),

pairs as (

    select
        a.product_id as product_a,
        b.product_id as product_b,
        count(*) as pair_orders
    from frequent_items as a
    inner join frequent_items as b
        on a.order_id = b.order_id
        and a.product_id < b.product_id
    group by a.product_id, b.product_id
    having count(*) >= {{ min_pair_orders }}

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
