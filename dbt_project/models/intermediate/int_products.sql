-- one row per product: the name and category it carries on most of its completed lines (on most of its
-- lines when none completed), so that a free-text adjustment note on one line ("damaged", "wrongly
-- marked") never names the product. Ties go to the alphabetically first value, the same on every engine.
with

lines as (

    select product_id, product_name, category, is_completed
    from {{ ref('int_order_lines') }}
    where product_id is not null

),

products as (

    select distinct product_id from lines

),

name_ranks as (

    select
        product_id,
        product_name,
        row_number() over (
            partition by product_id
            order by count(*) filter (where is_completed) desc, count(*) desc, product_name
        ) as usage_rank
    from lines
    where product_name is not null
    group by product_id, product_name

),

category_ranks as (

    select
        product_id,
        category,
        row_number() over (
            partition by product_id
            order by count(*) filter (where is_completed) desc, count(*) desc, category
        ) as usage_rank
    from lines
    where category is not null
    group by product_id, category

),

final as (

    select
        products.product_id,
        name_ranks.product_name,
        category_ranks.category
    from products
    left join name_ranks
        on products.product_id = name_ranks.product_id and name_ranks.usage_rank = 1
    left join category_ranks
        on products.product_id = category_ranks.product_id and category_ranks.usage_rank = 1

)

select * from final
