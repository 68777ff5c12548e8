{#- The rows of `relation` (a CTE with a `month_start` column) once per calendar period holding their month:
    period_grain 'month', 'quarter', 'year' and 'all' (period_start null), with period_key ('month 2011-12-01',
    'all ') naming the period in one column. Distinct counts do not add up over months, so the marts that answer
    them for a whole month, quarter, year or all time keep one row per period and count each once. -#}
{% macro rows_per_calendar_period(relation) -%}
    select
        periods.*,
        periods.period_grain || ' ' || coalesce(cast(periods.period_start as {{ dbt.type_string() }}), '')
            as period_key
    from (
        select
            grains.period_grain,
            case grains.period_grain
                when 'month' then {{ relation }}.month_start
                when 'quarter' then cast(date_trunc('quarter', {{ relation }}.month_start) as date)
                when 'year' then cast(date_trunc('year', {{ relation }}.month_start) as date)
            end as period_start,
            {{ relation }}.*
        from {{ relation }}
        cross join (
            select 'month' as period_grain union all select 'quarter' union all select 'year'
            union all select 'all'
        ) as grains
    ) as periods
{%- endmacro %}
