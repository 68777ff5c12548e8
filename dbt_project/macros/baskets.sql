{#- The CTEs `basket_orders`, `basket_items` and `baskets`: one row per (completed order, product) in the orders of
    the calendar months being counted, each order in the month it was placed, leaving out baskets of more than
    var `affinity_max_products_per_order` distinct products (a few wholesale invoices would dominate the counts
    and blow up the pair self-join). A full build counts every month; an incremental one on DuckDB the months of
    the orders with a line loaded since the table's newest load (int_orders.loaded_at), all of their orders. -#}
{% macro basket_ctes() -%}
basket_orders as (

    select
        order_id,
        cast(date_trunc('month', ordered_at) as date) as month_start,
        loaded_at
    from {{ ref('int_orders') }}
    {%- if is_incremental_with('loaded_at') %}
    where cast(date_trunc('month', ordered_at) as date) in (
        select distinct cast(date_trunc('month', ordered_at) as date)
        from {{ ref('int_orders') }}
        where loaded_at > {{ last_loaded_at() }}
    )
    {%- endif %}

),

basket_items as (

    select distinct
        basket_orders.month_start,
        basket_orders.order_id,
        lines.product_id,
        basket_orders.loaded_at
    from {{ ref('int_order_lines') }} as lines
    inner join basket_orders on lines.order_id = basket_orders.order_id
    where lines.is_completed
        and lines.product_id is not null
        {%- if is_incremental_with('loaded_at') %}
        -- an order's lines are all placed on or after the order (its first line): skip the older lines unread
        and lines.ordered_at >= (select min(month_start) from basket_orders)
        {%- endif %}

),

basket_sizes as (

    select
        order_id,
        count(*) as products_in_order
    from basket_items
    group by order_id

),

baskets as (

    select basket_items.*
    from basket_items
    inner join basket_sizes on basket_items.order_id = basket_sizes.order_id
    where basket_sizes.products_in_order <= {{ var('affinity_max_products_per_order') }}

)
{%- endmacro %}
