with

order_lines as (

    select * from {{ ref('stg_order_lines') }}

),

amounts as (

    select
        *,
        cast(ordered_at as date) as order_date,
        {{ line_revenue('quantity', 'unit_price', 'discount_pct') }} as line_amount,
        line_status = 'completed' as is_completed,
        line_status = 'cancelled' as is_cancelled,
        line_status = 'returned' as is_returned
    from order_lines

),

final as (

    select
        *,
        -- signed contribution to net revenue: completed +, returned -, cancelled 0
        case
            when is_completed then line_amount
            when is_returned then -line_amount
            else 0
        end as net_amount
    from amounts

)

select * from final
