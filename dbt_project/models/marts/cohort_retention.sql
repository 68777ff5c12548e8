with

orders as (

    select * from {{ ref('int_orders') }}

),

customer_orders as (

    select *
    from orders
    where customer_id is not null

),

cohorts as (

    select
        customer_id,
        cast(date_trunc('month', min(ordered_at)) as date) as cohort_month
    from customer_orders
    where is_completed
    group by customer_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_size
    from cohorts
    group by cohort_month

),

customer_months as (

    -- months in which the customer bought (completed) or returned something
    select
        customer_id,
        cast(date_trunc('month', ordered_at) as date) as activity_month,
        bool_or(is_completed) as is_active,
        sum(net_revenue) as revenue
    from customer_orders
    where completed_lines > 0 or returned_lines > 0
    group by customer_id, cast(date_trunc('month', ordered_at) as date)

),

cohort_months as (

    select
        cohorts.cohort_month,
        {{ dbt.datediff('cohorts.cohort_month', 'customer_months.activity_month', 'month') }} as months_since_first,
        customer_months.activity_month,
        customer_months.customer_id,
        customer_months.is_active,
        customer_months.revenue
    from customer_months
    inner join cohorts on customer_months.customer_id = cohorts.customer_id
    where customer_months.activity_month >= cohorts.cohort_month

),

aggregated as (

    select
        cohort_month,
        months_since_first,
        activity_month,
        count(*) filter (where is_active) as customers,
        sum(revenue) as revenue
    from cohort_months
    group by cohort_month, months_since_first, activity_month

),

final as (

    select
        aggregated.cohort_month,
        aggregated.months_since_first,
        aggregated.activity_month,
        aggregated.customers,
        cohort_sizes.cohort_size,
        {{ safe_divide('aggregated.customers', 'cohort_sizes.cohort_size') }} as retained_share,
        aggregated.revenue
    from aggregated
    inner join cohort_sizes on aggregated.cohort_month = cohort_sizes.cohort_month

)

select * from final
