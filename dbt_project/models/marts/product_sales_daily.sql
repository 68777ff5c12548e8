with

product_days as (

    select * from {{ ref('int_product_days') }}

),

final as (

    select
        product_days.order_date,
        product_days.product_id,
        products.product_name,
        products.category,
        product_days.revenue,
        product_days.quantity,
        product_days.orders
    from product_days
    left join {{ ref('int_products') }} as products on product_days.product_id = products.product_id

)

select * from final
