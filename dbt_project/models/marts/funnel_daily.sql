{{ incremental_on_duckdb('event_date') }}

-- Incremental on DuckDB (delete+insert by day): a later build recomputes only the days an event loaded since the
-- table's newest load (loaded_at) falls on, every category of them. On Spark: rebuilt whole.

with

events as (

    select * from {{ ref('stg_events') }}
    {%- if is_incremental_with('loaded_at') %}
    where cast(event_at as date) in (
        select distinct cast(event_at as date) from {{ ref('stg_events') }} where loaded_at > {{ last_loaded_at() }}
    )
    {%- endif %}

),

daily as (

    select
        cast(event_at as date) as event_date,
        coalesce(category, '(unknown)') as category,
        count(*) filter (where event_type = 'view') as views,
        count(*) filter (where event_type = 'cart') as carts,
        count(*) filter (where event_type = 'remove_from_cart') as cart_removals,
        count(*) filter (where event_type = 'purchase') as purchases,
        count(distinct session_id) as sessions,
        max(loaded_at) as loaded_at
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
        {{ safe_divide('purchases', 'views') }} as view_to_purchase_rate,
        loaded_at
    from daily

)

select * from final
