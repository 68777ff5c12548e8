with

events as (

    select * from {{ ref('int_sessionised_events') }}

),

final as (

    select
        session_key,
        any_value(visitor_id) as visitor_id,
        any_value(customer_id) as customer_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        {{ dbt.datediff('min(event_at)', 'max(event_at)', 'second') }} as duration_seconds,
        {{ weekday_number('min(event_at)') }} as start_weekday,
        cast(hour(min(event_at)) as integer) as start_hour,
        count(*) as events,
        count(*) filter (where event_type = 'view') as views,
        count(*) filter (where event_type = 'cart') as carts,
        count(*) filter (where event_type = 'remove_from_cart') as cart_removals,
        count(*) filter (where event_type = 'purchase') as purchases,
        count(distinct category) as categories,
        mode(category) as main_category,
        coalesce(sum(price) filter (where event_type = 'purchase'), 0) as purchase_value,
        bool_or(event_type = 'purchase') as converted
    from events
    group by session_key

)

select * from final
