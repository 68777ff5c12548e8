{#- 'Mon' ... 'Sun' for a weekday number 0 = Monday ... 6 = Sunday (isodow - 1), as the timing marts store it. -#}
{% macro weekday_name(weekday) -%}
    (case {{ weekday }}
        when 0 then 'Mon' when 1 then 'Tue' when 2 then 'Wed' when 3 then 'Thu'
        when 4 then 'Fri' when 5 then 'Sat' else 'Sun'
    end)
{%- endmacro %}

{#- Weekday number 0 = Monday ... 6 = Sunday; the engines name it differently. -#}
{% macro weekday_number(ts) -%}
    {{ return(adapter.dispatch('weekday_number', 'cip')(ts)) }}
{%- endmacro %}

{% macro default__weekday_number(ts) -%}
    cast(isodow({{ ts }}) - 1 as integer)
{%- endmacro %}

{% macro spark__weekday_number(ts) -%}
    cast(weekday({{ ts }}) as integer)
{%- endmacro %}
