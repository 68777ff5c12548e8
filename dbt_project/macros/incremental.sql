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
