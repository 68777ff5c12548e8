with

customer_orders as (

    select * from {{ ref('int_customer_orders') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

buyers as (

    select
        customer_id,
        as_of,
        first_order_at,
        last_order_at,
        recency_days,
        completed_orders as frequency,
        net_revenue as monetary,
        gross_revenue,
        returned_revenue,
        lines,
        cancelled_lines,
        returned_lines
    from customer_orders
    where completed_orders > 0

),

scored as (

    select
        *,
        -- quintiles; ties broken by customer_id so the scores are deterministic. Money is ranked to the
        -- cent: a float sum differs in its last bit between engines and thread counts (312.55 against
        -- 312.54999999999995), which would otherwise swap two customers across a quintile boundary
        cast(ntile(5) over (order by recency_days desc, customer_id) as integer) as r_score,
        cast(ntile(5) over (order by frequency asc, customer_id) as integer) as f_score,
        cast(ntile(5) over (order by round(monetary, 2) asc, customer_id) as integer) as m_score
    from buyers

),

with_fm as (

    select
        *,
        {{ fm_score('f_score', 'm_score') }} as fm_score,
        cast(r_score as {{ dbt.type_string() }}) || cast(f_score as {{ dbt.type_string() }}) || cast(m_score as {{ dbt.type_string() }}) as rfm_score
    from scored

),

final as (

    select
        with_fm.customer_id,
        with_fm.as_of,
        with_fm.first_order_at,
        with_fm.last_order_at,
        with_fm.recency_days,
        with_fm.frequency,
        with_fm.monetary,
        with_fm.gross_revenue,
        with_fm.returned_revenue,
        with_fm.lines,
        with_fm.cancelled_lines,
        with_fm.returned_lines,
        with_fm.r_score,
        with_fm.f_score,
        with_fm.m_score,
        with_fm.fm_score,
        with_fm.rfm_score,
        segment_map.segment,
        {{ is_churned('with_fm.recency_days') }} as is_churned
    from with_fm
    left join segment_map
        on with_fm.r_score = segment_map.r_score
        and with_fm.fm_score = segment_map.fm_score

)

select * from final
