{#- Revenue of one order line: quantity * unit_price less the line discount (percent, null = none). -#}
{% macro line_revenue(quantity='quantity', unit_price='unit_price', discount_pct='discount_pct') -%}
    ({{ quantity }} * {{ unit_price }} * (1 - coalesce({{ discount_pct }}, 0) / 100.0))
{%- endmacro %}
