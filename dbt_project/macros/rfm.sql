{#-
  Combined frequency/monetary score used by the segment map: the mean of F and M rounded half up,
  so (f, m) = (4, 5) -> 5, (3, 4) -> 4, (1, 2) -> 2. Always 1-5 when f and m are 1-5.
-#}
{% macro fm_score(f_score='f_score', m_score='m_score') -%}
    cast(floor(({{ f_score }} + {{ m_score }} + 1) / 2) as integer)
{%- endmacro %}

{#- Churn flag from recency: no completed order in the `churn_horizon_days` days ending on as_of. -#}
{% macro is_churned(recency_days='recency_days') -%}
    ({{ recency_days }} >= {{ var('churn_horizon_days') }})
{%- endmacro %}
