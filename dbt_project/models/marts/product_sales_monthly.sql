with

lines as (

    select * from {{ ref('int_order_lines') }}
    where product_id is not null

),

final as (

    select
        cast(date_trunc('month', lines.order_date) as date) as month_start,
        lines.product_id,
        products.product_name,
        products.category,
        sum(lines.net_amount) as revenue,
        sum(case when lines.is_completed then lines.quantity else 0 end)
            - sum(case when lines.is_returned then lines.quantity else 0 end) as quantity,
        count(distinct case when lines.is_completed then lines.order_id end) as orders,
        count(distinct case when lines.is_completed then lines.customer_id end) as customers
    from lines
    left join {{ ref('int_products') }} as products on lines.product_id = products.product_id
    group by all

)

select * from final
