{{ incremental_on_duckdb('visitor_id') }}

-- Incremental on DuckDB: the sessions of the visitors int_sessionised_events re-sessionised since this
-- table's last build (its sessionised_at watermark) replace theirs.

with

events as (

    select * from {{ ref('int_sessionised_events') }}
    {%- if is_incremental_with('sessionised_at') %}
    where sessionised_at > (select max(sessionised_at) from {{ this }})
    {%- endif %}

),

category_ranks as (

    -- the session's most viewed category; a tie goes to the alphabetically first, the same on every engine
    select
        session_key,
        category,
        row_number() over (partition by session_key order by count(*) desc, category) as category_rank
    from events
    where category is not null
    group by session_key, category

),

sessions as (

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
        coalesce(sum(price) filter (where event_type = 'purchase'), 0) as purchase_value,
        bool_or(event_type = 'purchase') as converted,
        max(sessionised_at) as sessionised_at
    from events
    group by session_key

),

final as (

    select
        sessions.session_key,
        sessions.visitor_id,
        sessions.customer_id,
        sessions.started_at,
        sessions.ended_at,
        sessions.duration_seconds,
        sessions.start_weekday,
        sessions.start_hour,
        sessions.events,
        sessions.views,
        sessions.carts,
        sessions.cart_removals,
        sessions.purchases,
        sessions.categories,
        category_ranks.category as main_category,
        sessions.purchase_value,
        sessions.converted,
        sessions.sessionised_at
    from sessions
    left join category_ranks
        on sessions.session_key = category_ranks.session_key and category_ranks.category_rank = 1

)

select * from final
