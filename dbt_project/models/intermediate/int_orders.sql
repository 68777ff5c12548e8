{{ config(materialized='table') }}

{#- Materialised: six marts aggregate over orders; on 100M lines re-reading the lines each time is the cost. -#}

with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

aggregated as (

    select
        order_id,
        -- order-level attributes are the same on every line in the contract; min() picks one deterministically
        min(customer_id) as customer_id,
        min(ordered_at) as ordered_at,
        count(*) as lines,
        count(*) filter (where is_completed) as completed_lines,
        count(*) filter (where is_cancelled) as cancelled_lines,
        count(*) filter (where is_returned) as returned_lines,
        coalesce(sum(line_amount) filter (where is_completed), 0) as gross_revenue,
        coalesce(sum(line_amount) filter (where is_returned), 0) as returned_revenue,
        coalesce(sum(net_amount), 0) as net_revenue
    from order_lines
    group by order_id

),

final as (

    select
        *,
        cast(ordered_at as date) as order_date,
        completed_lines > 0 as is_completed,
        cancelled_lines = lines as is_cancelled
    from aggregated

)

select * from final
