with

orders as (

    select * from {{ ref('int_orders') }}

),

placed as (

    select
        {{ weekday_number('ordered_at') }} as weekday,
        cast(hour(ordered_at) as integer) as hour,
        is_completed,
        net_revenue
    from orders
    where completed_lines > 0 or returned_lines > 0

),

final as (

    select
        weekday,
        {{ weekday_name('weekday') }} as weekday_name,
        hour,
        count(*) filter (where is_completed) as orders,
        sum(net_revenue) as revenue
    from placed
    group by weekday, hour

)

select * from final
