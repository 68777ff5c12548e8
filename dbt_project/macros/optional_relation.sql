{#- A source table that may be absent: model outputs (schema ml) are missing until their asset first
    writes them, and a source with too little history skips a model for good. Calling source() keeps
    the lineage (dbt and Dagster see the dependency); at run time the relation is returned only when
    it exists, else none, so the caller can put nulls in its place. -#}
{% macro optional_source(source_name, table_name) -%}
    {%- set declared = source(source_name, table_name) -%}
    {%- if execute -%}
        {{ return(adapter.get_relation(database=declared.database, schema=declared.schema,
                                       identifier=declared.identifier)) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{%- endmacro %}
