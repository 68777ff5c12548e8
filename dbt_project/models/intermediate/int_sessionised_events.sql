{{ incremental_on_duckdb('visitor_id') }}

-- Sessions are rebuilt from the events, not taken from the source's session ids: a visitor
-- (the customer, else the source session) starts a new session after a gap longer than
-- session_gap_minutes. Materialised because sessions, funnels and the event models all read it.
-- Incremental on DuckDB: a later build re-sessionises only the visitors with an event loaded since the newest
-- load this table holds (its loaded_at watermark; late events included), their whole history, and replaces
-- their rows; `sessionised_at` marks them for event_sessions. A changed session_gap_minutes needs a full
-- refresh (the `full_refresh` run config of the dbt asset, or `dbt build --full-refresh`). On Spark it is
-- rebuilt whole (incremental replacement there needs a table format with MERGE, such as Delta).

with

events as (

    select * from {{ ref('stg_events') }}
    where coalesce(customer_id, session_id) is not null
    {%- if is_incremental_with('loaded_at') %}
        and coalesce(customer_id, 'session:' || session_id) in (
            select coalesce(arrived.customer_id, 'session:' || arrived.session_id)
            from {{ ref('stg_events') }} as arrived
            where arrived.loaded_at > {{ last_loaded_at() }}
        )
    {%- endif %}

),

ordered as (

    select
        *,
        coalesce(customer_id, 'session:' || session_id) as visitor_id,
        -- events at the same second keep the funnel's order
        case event_type when 'view' then 0 when 'cart' then 1 when 'remove_from_cart' then 2 else 3 end
            as event_type_rank
    from events

),

sequenced as (

    -- one total order per visitor, used by every window below (ties at the same second would
    -- otherwise be ordered differently by each window, and by each build: event_key breaks the last ties)
    select
        *,
        row_number() over (partition by visitor_id order by event_at, event_type_rank, product_id, event_key)
            as visitor_seq
    from ordered

),

gaps as (

    select
        *,
        {{ dbt.datediff('lag(event_at) over (partition by visitor_id order by visitor_seq)', 'event_at', 'second') }}
            as seconds_since_previous
    from sequenced

),

numbered as (

    select
        *,
        sum(case when seconds_since_previous is null
                      or seconds_since_previous > {{ var('session_gap_minutes') }} * 60 then 1 else 0 end)
            over (partition by visitor_id order by visitor_seq rows between unbounded preceding and current row)
            as session_number
    from gaps

),

final as (

    select
        visitor_id || '#' || session_number as session_key,
        visitor_id,
        event_key,
        customer_id,
        session_id as source_session_id,
        event_at,
        event_type,
        event_type_rank,
        product_id,
        category,
        brand,
        price,
        loaded_at,
        visitor_seq - min(visitor_seq) over (partition by visitor_id, session_number) + 1 as event_index,
        case when visitor_seq = min(visitor_seq) over (partition by visitor_id, session_number)
             then null else seconds_since_previous end as seconds_since_previous,
        {{ dbt.current_timestamp() }} as sessionised_at
    from numbered

)

select * from final
