with

customer_360 as (

    select * from {{ ref('customer_360') }}

),

by_country as (

    select
        coalesce(country, '(unknown)') as country,
        count(*) as customers,
        count(*) filter (where lifetime_orders > 0) as customers_with_orders,
        sum(lifetime_revenue) as revenue,
        count(*) filter (where lifetime_orders > 0 and is_churned) as churned_customers
    from customer_360
    group by coalesce(country, '(unknown)')

),

final as (

    select
        country,
        customers,
        customers_with_orders,
        revenue,
        {{ safe_divide('revenue', 'customers_with_orders') }} as revenue_per_buyer,
        churned_customers,
        {{ safe_divide('churned_customers', 'customers_with_orders') }} as churned_share
    from by_country

)

select * from final
