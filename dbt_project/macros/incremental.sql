{#- The configuration of every incremental model: incremental on DuckDB, replacing whole keys (delete+insert by
    `unique_key`, a day, a month, an order, a visitor); a plain table on Spark (replacing rows there needs a table
    format with MERGE). A column added to the model is appended to an existing table. -#}
{% macro incremental_on_duckdb(unique_key) -%}
    {{ config(
        materialized=('incremental' if target.type == 'duckdb' else 'table'),
        incremental_strategy='delete+insert',
        unique_key=unique_key,
        on_schema_change='append_new_columns'
    ) }}
{%- endmacro %}

{#- is_incremental(), and the existing table already has every one of `columns`: a table built before the model
    was incremental (without its change-tracking column), or before a column was added, is rebuilt in full once,
    by the same statement. -#}
{% macro is_incremental_with(columns) -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set wanted = [columns] if columns is string else columns -%}
    {%- for column in wanted if column | lower not in existing -%}
        {{ return(false) }}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}

{#- The newest raw load an incremental table already holds (its loaded_at watermark); rows loaded after it are
    new. An empty table holds none, so everything is new. -#}
{% macro last_loaded_at() -%}
    (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
{%- endmacro %}

{#- The order lines with a product in the months a line loaded since this table's newest load falls in (every
    line on a full build, or when the table lacks one of `columns`): what the product x month models recompute, by
    month (delete+insert). With `by_customer_country`, also the months holding a line of a customer whose row was
    loaded since then (a customer who moved country moves their past lines too). -#}
{% macro product_lines_to_rebuild(columns='loaded_at', by_customer_country=false) -%}
    select * from {{ ref('int_order_lines') }}
    where product_id is not null
    {%- if is_incremental_with(columns) %}
        and cast(date_trunc('month', order_date) as date) in (
            select distinct cast(date_trunc('month', order_date) as date)
            from {{ ref('int_order_lines') }}
            where loaded_at > {{ last_loaded_at() }}
            {%- if by_customer_country %}
                or customer_id in (
                    select customer_id from {{ ref('stg_customers') }} where loaded_at > {{ last_loaded_at() }}
                )
            {%- endif %}
        )
    {%- endif %}
{%- endmacro %}
