{#- The type of a column holding a JSON document: DuckDB's JSON; Spark has none, so the text itself. -#}
{% macro type_json() -%}
    {{ return(adapter.dispatch('type_json', 'cip')()) }}
{%- endmacro %}

{% macro default__type_json() -%}
    json
{%- endmacro %}

{% macro spark__type_json() -%}
    string
{%- endmacro %}
