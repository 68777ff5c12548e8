{#- customer_360 with every model output joined on, for readers (dashboard, cip ask, reports).
    A model table that is absent gives null columns instead of failing the mart. -#}

{%- set model_columns = {
    'churn_scores': {'churn_probability': 'double', 'risk_band': 'varchar', 'reasons': 'varchar',
                     'model_version': 'varchar', 'scored_at': 'timestamp'},
    'customer_value': {'expected_purchases_90d': 'double', 'expected_spend_90d': 'double', 'value_12m': 'double',
                       'probability_alive': 'double'},
    'customer_segments': {'segment_id': 'integer', 'segment_name': 'varchar', 'persona': 'varchar',
                          'pca_x': 'double', 'pca_y': 'double'},
    'purchase_propensity': {'purchase_probability': 'double', 'propensity_decile': 'integer'},
    'offer_recommendations': {'recommended_arm': 'varchar', 'expected_incremental_profit': 'double',
                              'within_budget': 'boolean'},
} -%}

with

customers as (

    select * from {{ ref('customer_360') }}

),

final as (

    select
        customers.*
        {%- for table, columns in model_columns.items() %}
        {%- set relation = optional_source('ml', table) %}
        {%- for column, type in columns.items() %},
        {% if relation is not none %}{{ table }}.{{ column }}{% else %}null{% endif %}::{{ type }} as {{ column }}
        {%- endfor %}
        {%- endfor %}
    from customers
    {%- for table in model_columns %}
    {%- set relation = optional_source('ml', table) %}
    {%- if relation is not none %}
    left join {{ relation }} as {{ table }} on {{ table }}.customer_id = customers.customer_id
    {%- endif %}
    {%- endfor %}

)

select * from final
