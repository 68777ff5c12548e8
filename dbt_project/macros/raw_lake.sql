{#- On Spark, the raw tables are the lake's Parquet files (written by cip_resources/lake.py from the
    ingest assets' DuckDB tables): each is (re)declared as an external table over its folder on every
    run, so a new day's partition is read without any copy by hand. On DuckDB this does nothing: raw
    lives in the warehouse file itself. -#}
{% macro register_raw_lake() %}
    {%- if target.type == 'spark' and execute -%}
        {%- set lake = env_var('CIP_LAKE_PATH', '../.cip/lake') -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for node in graph.sources.values() if node.source_name == 'raw' -%}
            {%- do run_query('drop table if exists raw.' ~ node.name) -%}
            {%- do run_query("create table raw." ~ node.name ~ " using parquet options (path '"
                             ~ lake ~ "/raw/" ~ node.name ~ "', recursiveFileLookup 'true')") -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
