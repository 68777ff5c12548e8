-- one row per product: the name and category it carries on most of its completed lines (on most of its
-- lines when none completed), so that a free-text adjustment note on one line ("damaged", "wrongly
-- marked") never names the product. Ties go to the alphabetically first value, the same on every engine.
-- The counts come per month from int_product_label_months, so this view reads no order line.
with

label_months as (

    select * from {{ ref('int_product_label_months') }}

),

products as (

    select distinct product_id from label_months

),

name_ranks as (

    select
        product_id,
        product_name,
        row_number() over (
            partition by product_id
            order by sum(completed_lines) desc, sum(lines) desc, product_name
        ) as usage_rank
    from label_months
    where product_name is not null
    group by product_id, product_name

),

category_ranks as (

    select
        product_id,
        category,
        row_number() over (
            partition by product_id
            order by sum(completed_lines) desc, sum(lines) desc, category
        ) as usage_rank
    from label_months
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
