-- one row per product: the name and category it carries on most of its completed lines (mode), so that a
-- free-text adjustment note on one line ("damaged", "wrongly marked") never names the product
with

lines as (

    select product_id, product_name, category, is_completed
    from {{ ref('int_order_lines') }}
    where product_id is not null

),

final as (

    select
        product_id,
        coalesce(
            mode(product_name) filter (where is_completed and product_name is not null),
            mode(product_name) filter (where product_name is not null)
        ) as product_name,
        coalesce(
            mode(category) filter (where is_completed and category is not null),
            mode(category) filter (where category is not null)
        ) as category
    from lines
    group by product_id

)

select * from final
