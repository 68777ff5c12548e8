with

events as (

    select * from {{ ref('int_sessionised_events') }}

),

session_category as (

    select
        session_key,
        coalesce(category, '(unknown)') as category,
        bool_or(event_type = 'view') as viewed,
        bool_or(event_type = 'cart') as carted,
        bool_or(event_type = 'purchase') as purchased,
        coalesce(sum(price) filter (where event_type = 'purchase'), 0) as purchase_value
    from events
    group by session_key, coalesce(category, '(unknown)')

),

final as (

    select
        category,
        count(*) filter (where viewed) as sessions_viewed,
        count(*) filter (where carted) as sessions_carted,
        count(*) filter (where purchased) as sessions_purchased,
        count(*) filter (where viewed and carted) as sessions_viewed_then_carted,
        count(*) filter (where carted and purchased) as sessions_carted_then_purchased,
        {{ safe_divide('count(*) filter (where viewed and carted)', 'count(*) filter (where viewed)') }}
            as view_to_cart_rate,
        {{ safe_divide('count(*) filter (where carted and purchased)', 'count(*) filter (where carted)') }}
            as cart_to_purchase_rate,
        {{ safe_divide('count(*) filter (where viewed and purchased)', 'count(*) filter (where viewed)') }}
            as view_to_purchase_rate,
        sum(purchase_value) as purchase_value
    from session_category
    group by category

)

select * from final
