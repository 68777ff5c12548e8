{#- dbt-spark's session method pastes seed values into its INSERT unescaped, so a value with a quote
    ("Can't Lose Them") breaks the statement. Same insert, with the values written as escaped literals.
    Found first because the project's dispatch search order (dbt_project.yml) puts `cip` before `dbt`. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set sql -%}
        insert into {{ this.render() }} values
        {% for row in agate_table.rows -%}
            ({%- for value in row -%}
                {%- set type = column_override.get(agate_table.column_names[loop.index0],
                                                   adapter.convert_type(agate_table, loop.index0)) -%}
                {%- if value is none -%} cast(null as {{ type }})
                {%- else -%} cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                {%- endif -%}{%- if not loop.last %},{% endif -%}
            {%- endfor -%}){%- if not loop.last %},{% endif %}
        {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}
