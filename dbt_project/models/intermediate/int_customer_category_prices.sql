{{ incremental_on_duckdb('customer_id') }}

{#- Per known customer and category, the sums marts.price_sensitivity (cip_assets/pricing) combines into its
    segment x category cells: over the completed lines with a positive quantity and price, the means and the sums of
    squared deviations of log quantity, log net unit price and discount, their extremes, and the 90-day repeat counts
    on discount and at full price. The mart joins today's segments to these rows, so a customer who changes segment
    costs nothing here.

    Incremental on DuckDB (delete+insert by customer): a build recomputes the customers with a line loaded since this
    table's newest load, and those with a line between the last build's repeat horizon and tonight's (a line counts
    for the repeat rate once 90 days of data follow it: repeat_horizon, the newest line's time less 90 days, moves
    with every new day). On Spark it is rebuilt whole. -#}

{%- set incremental = is_incremental_with(['loaded_at', 'repeat_horizon']) %}

with

priced_lines as (

    select
        customer_id,
        order_id,
        ordered_at,
        coalesce(category, 'unknown') as category,
        quantity,
        coalesce(discount_pct, 0) as discount_pct,
        unit_price * (1 - coalesce(discount_pct, 0) / 100) as net_price,
        loaded_at
    from {{ ref('stg_order_lines') }}
    where line_status = 'completed'
        and customer_id is not null
        and quantity > 0
        and unit_price > 0
        and coalesce(discount_pct, 0) < 100

),

horizon as (

    select {{ dbt.dateadd('day', -90, 'max(ordered_at)') }} as repeat_horizon from priced_lines

),

{%- if incremental %}

previous_build as (

    select {{ last_loaded_at() }} as loaded_at, max(repeat_horizon) as repeat_horizon from {{ this }}

),

customers_to_rebuild as (

    select distinct priced_lines.customer_id
    from priced_lines
    cross join horizon
    cross join previous_build
    where priced_lines.loaded_at > previous_build.loaded_at
        or (
            priced_lines.ordered_at > least(previous_build.repeat_horizon, horizon.repeat_horizon)
            and priced_lines.ordered_at <= greatest(previous_build.repeat_horizon, horizon.repeat_horizon)
        )

),

{%- endif %}

lines as (

    select * from priced_lines
    {%- if incremental %}
    where customer_id in (select customer_id from customers_to_rebuild)
    {%- endif %}

),

orders as (

    select customer_id, order_id, min(ordered_at) as ordered_at
    from lines
    group by customer_id, order_id

),

next_orders as (

    select
        customer_id,
        order_id,
        lead(ordered_at) over (partition by customer_id order by ordered_at, order_id) as next_ordered_at
    from orders

),

measured_lines as (

    select
        lines.customer_id,
        lines.category,
        ln(lines.quantity) as log_quantity,
        ln(lines.net_price) as log_price,
        lines.discount_pct,
        lines.net_price,
        lines.quantity,
        lines.discount_pct > 0 as is_discounted,
        -- null until 90 days of data follow the line
        case when lines.ordered_at <= horizon.repeat_horizon then
            cast(
                next_orders.next_ordered_at is not null
                and next_orders.next_ordered_at < {{ dbt.dateadd('day', 90, 'lines.ordered_at') }}
                as int
            )
        end as repeated_within_90d,
        horizon.repeat_horizon,
        lines.loaded_at
    from lines
    inner join next_orders
        on lines.customer_id = next_orders.customer_id
        and lines.order_id = next_orders.order_id
    cross join horizon

),

final as (

    select
        customer_id,
        category,
        count(*) as lines,
        avg(log_quantity) as mean_log_quantity,
        avg(log_price) as mean_log_price,
        avg(discount_pct) as mean_discount_pct,
        var_pop(log_quantity) * count(*) as ss_log_quantity,
        var_pop(log_price) * count(*) as ss_log_price,
        var_pop(discount_pct) * count(*) as ss_discount_pct,
        covar_pop(log_quantity, log_price) * count(*) as sp_log_quantity_log_price,
        covar_pop(log_quantity, discount_pct) * count(*) as sp_log_quantity_discount_pct,
        min(log_quantity) as min_log_quantity,
        max(log_quantity) as max_log_quantity,
        min(log_price) as min_log_price,
        max(log_price) as max_log_price,
        min(discount_pct) as min_discount_pct,
        max(discount_pct) as max_discount_pct,
        sum(net_price) as sum_net_price,
        sum(quantity) as sum_quantity,
        count(*) filter (where is_discounted) as discounted_lines,
        sum(repeated_within_90d) filter (where is_discounted) as repeats_discounted,
        count(repeated_within_90d) filter (where is_discounted) as repeat_lines_discounted,
        sum(repeated_within_90d) filter (where not is_discounted) as repeats_full_price,
        count(repeated_within_90d) filter (where not is_discounted) as repeat_lines_full_price,
        max(repeat_horizon) as repeat_horizon,
        max(loaded_at) as loaded_at
    from measured_lines
    group by customer_id, category

)

select * from final
