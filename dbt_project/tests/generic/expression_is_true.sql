{#-
  Fails for every row where `expression` is false (rows where it is null pass).
  Our own replacement for dbt_utils.expression_is_true (no packages can be installed).
  Usage (model level):
      data_tests:
        - expression_is_true:
            arguments:
              expression: "customers <= cohort_size"
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
