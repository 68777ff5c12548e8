{#- is_incremental(), and the existing table already has `column`: a table built before the model was
    incremental (without its change-tracking column) is rebuilt in full once, by the same statement. -#}
{% macro is_incremental_with(column) -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower in existing) }}
{%- endmacro %}
