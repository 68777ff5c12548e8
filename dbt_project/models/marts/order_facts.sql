{{ incremental_on_duckdb('order_id') }}

{#- One row per order, for questions no rolled-up mart can answer: any measure by country, RFM segment
    or favourite category over any period, and conditions on orders. Built from int_orders, not from the lines.
    Incremental on DuckDB: a later build rewrites the orders int_orders re-aggregated since this table's newest
    load (loaded_at), and every order of a customer whose country, segment or favourite category moved since their
    rows were written (segments move with the days); `refreshed_at` marks the rewritten rows for customer_periods.
    On Spark it is rebuilt whole. -#}

{%- set incremental = is_incremental_with(['loaded_at', 'refreshed_at']) %}

with

customers as (

    select customer_id, country, segment, favourite_category from {{ ref('customer_360') }}

),

{%- if incremental %}

moved_customers as (

    select held.customer_id
    from (
        select distinct customer_id, country, segment, favourite_category
        from {{ this }}
        where customer_id is not null
    ) as held
    left join customers on held.customer_id = customers.customer_id
    where held.country is distinct from customers.country
        or held.segment is distinct from customers.segment
        or held.favourite_category is distinct from customers.favourite_category

),

{%- endif %}

orders as (

    select * from {{ ref('int_orders') }}
    {%- if incremental %}
    where loaded_at > {{ last_loaded_at() }}
        or customer_id in (select customer_id from moved_customers)
    {%- endif %}

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        customers.country,
        customers.segment,
        customers.favourite_category,
        orders.ordered_at,
        orders.order_date,
        cast(date_trunc('month', orders.order_date) as date) as month_start,
        orders.is_completed,
        orders.is_cancelled,
        orders.lines,
        orders.cancelled_lines,
        orders.returned_lines,
        orders.units,
        orders.returned_units,
        orders.cancelled_units,
        orders.gross_revenue,
        orders.returned_revenue,
        orders.cancelled_revenue,
        orders.net_revenue as revenue,
        orders.loaded_at,
        {{ dbt.current_timestamp() }} as refreshed_at
    from orders
    left join customers on orders.customer_id = customers.customer_id

)

-- sorted by country then date: DuckDB's min/max per row group then skips every other country's orders (a nightly
-- build appends its rows at the end, unsorted; a full refresh sorts all again)
select * from final
order by country, order_date
