{#- The reference date every recency / tenure / churn figure is measured from. -#}
{%- set as_of_var = var('as_of', none) -%}
{%- if as_of_var is none or (as_of_var | string | lower | trim) in ('', 'null', 'none') -%}
    {%- set as_of_literal = 'cast(null as date)' -%}
{%- else -%}
    {%- set as_of_literal = "cast('" ~ (as_of_var | string | trim) ~ "' as date)" -%}
{%- endif -%}

with

order_lines as (

    select * from {{ ref('stg_order_lines') }}

),

final as (

    -- an aggregate without group by: always exactly one row (as_of is null when there are no orders)
    select
        coalesce({{ as_of_literal }}, cast(max(ordered_at) as date)) as as_of
    from order_lines

)

select * from final
