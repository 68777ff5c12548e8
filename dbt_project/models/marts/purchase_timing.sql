with

sessions as (

    select * from {{ ref('event_sessions') }}

),

cells as (

    select
        start_weekday as weekday,
        start_hour as hour,
        count(*) as sessions,
        count(*) filter (where converted) as converting_sessions
    from sessions
    group by start_weekday, start_hour

),

overall as (

    select {{ safe_divide('count(*) filter (where converted)', 'count(*)') }} as purchase_probability
    from sessions

),

smoothed as (

    -- ranked on a probability shrunk toward the average by 20 sessions, so a cell with 2 sessions
    -- and 1 purchase does not top the list
    select
        cells.*,
        overall.purchase_probability as average_probability,
        (cells.converting_sessions + 20 * overall.purchase_probability) / (cells.sessions + 20)
            as smoothed_probability
    from cells
    cross join overall

),

final as (

    select
        weekday,
        {{ weekday_name('weekday') }} as weekday_name,
        hour,
        sessions,
        converting_sessions,
        converting_sessions / sessions as purchase_probability,
        smoothed_probability,
        {{ safe_divide('smoothed_probability', 'average_probability') }} as lift_over_average,
        cast(rank() over (order by smoothed_probability desc, sessions desc) as integer) as probability_rank
    from smoothed

)

select * from final
