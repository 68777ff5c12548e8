with

customer_rfm as (

    select * from {{ ref('customer_rfm') }}

),

ranked as (

    select
        customer_id,
        monetary as revenue,
        -- ranked to the cent, as customer_rfm ranks monetary
        row_number() over (order by round(monetary, 2) desc, customer_id) as revenue_rank,
        ntile(10) over (order by round(monetary, 2) desc, customer_id) as decile,
        count(*) over () as total_customers,
        sum(monetary) over () as total_revenue
    from customer_rfm

),

top20 as (

    -- the top 20% of customers by net revenue: the first ceil(0.2 * n) in rank order
    select
        {{ safe_divide(
            'sum(revenue) filter (where revenue_rank <= ceil(0.2 * total_customers))',
            'max(total_revenue)'
        ) }} as top20_revenue_share
    from ranked

),

deciles as (

    select
        decile,
        count(*) as customers,
        sum(revenue) as revenue,
        min(revenue) as min_customer_revenue,
        max(revenue) as max_customer_revenue,
        max(total_customers) as total_customers,
        max(total_revenue) as total_revenue
    from ranked
    group by decile

),

final as (

    select
        cast(deciles.decile as integer) as decile,
        deciles.customers,
        deciles.revenue,
        deciles.min_customer_revenue,
        deciles.max_customer_revenue,
        {{ safe_divide('deciles.revenue', 'deciles.total_revenue') }} as share_of_revenue,
        {{ safe_divide(
            'sum(deciles.revenue) over (order by deciles.decile rows between unbounded preceding and current row)',
            'deciles.total_revenue'
        ) }} as cumulative_share,
        {{ safe_divide(
            'sum(deciles.customers) over (order by deciles.decile rows between unbounded preceding and current row)',
            'deciles.total_customers'
        ) }} as cumulative_customer_share,
        top20.top20_revenue_share
    from deciles
    cross join top20

)

select * from final
