with

product_months as (

    select * from {{ ref('int_product_months') }}

),

final as (

    select
        product_months.month_start,
        product_months.product_id,
        products.product_name,
        products.category,
        product_months.revenue,
        product_months.quantity,
        product_months.orders,
        product_months.customers
    from product_months
    left join {{ ref('int_products') }} as products on product_months.product_id = products.product_id

)

select * from final
