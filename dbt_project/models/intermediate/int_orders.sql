{{ incremental_on_duckdb('order_id') }}

{#- Materialised: six marts aggregate over orders; on 100M lines re-reading the lines each time is the cost.
    Incremental on DuckDB: a later build re-aggregates only the orders with a line loaded since the newest load
    this table holds (loaded_at), all their lines, and replaces them. On Spark it is rebuilt whole. -#}

with

order_lines as (

    select * from {{ ref('int_order_lines') }}
    {%- if is_incremental_with(['loaded_at', 'units', 'cancelled_revenue']) %}
    where order_id in (
        select order_id from {{ ref('int_order_lines') }} where loaded_at > {{ last_loaded_at() }}
    )
    {%- endif %}

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
        coalesce(sum(line_amount) filter (where is_cancelled), 0) as cancelled_revenue,
        coalesce(sum(net_amount), 0) as net_revenue,
        -- unit sums cast back to bigint: a sum of integers is a 128-bit integer, which scans far slower
        cast(coalesce(sum(quantity) filter (where is_completed), 0)
            - coalesce(sum(quantity) filter (where is_returned), 0) as bigint) as units,
        cast(coalesce(sum(quantity) filter (where is_returned), 0) as bigint) as returned_units,
        cast(coalesce(sum(quantity) filter (where is_cancelled), 0) as bigint) as cancelled_units,
        max(loaded_at) as loaded_at
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
