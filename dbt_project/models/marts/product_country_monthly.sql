with

product_country_months as (

    select * from {{ ref('int_product_country_months') }}

),

final as (

    select
        product_country_months.month_start,
        product_country_months.product_id,
        products.product_name,
        product_country_months.country,
        product_country_months.revenue,
        product_country_months.quantity,
        product_country_months.returned_units,
        product_country_months.cancelled_units,
        product_country_months.cancelled_lines,
        product_country_months.cancelled_orders,
        product_country_months.cancelled_revenue,
        product_country_months.orders,
        product_country_months.customers
    from product_country_months
    left join {{ ref('int_products') }} as products on product_country_months.product_id = products.product_id

)

select * from final
