with

events as (

    select * from {{ ref('stg_events') }}

),

daily as (

    select
        cast(event_at as date) as event_date,
        coalesce(category, '(unknown)') as category,
        count(*) filter (where event_type = 'view') as views,
        count(*) filter (where event_type = 'cart') as carts,
        count(*) filter (where event_type = 'remove_from_cart') as cart_removals,
        count(*) filter (where event_type = 'purchase') as purchases,
        count(distinct session_id) as sessions
    from events
    group by cast(event_at as date), coalesce(category, '(unknown)')

),

final as (

    select
        event_date,
        category,
        views,
        carts,
        cart_removals,
        purchases,
        sessions,
        {{ safe_divide('carts', 'views') }} as view_to_cart_rate,
        {{ safe_divide('purchases', 'carts') }} as cart_to_purchase_rate,
        {{ safe_divide('purchases', 'views') }} as view_to_purchase_rate
    from daily

)

select * from final
