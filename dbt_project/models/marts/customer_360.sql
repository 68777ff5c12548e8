with

customers as (

    select * from {{ ref('stg_customers') }}

),

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

customer_orders as (

    select * from {{ ref('int_customer_orders') }}

),

feedback as (

    select * from {{ ref('stg_feedback') }}

),

campaign_exposures as (

    select * from {{ ref('stg_campaign_exposures') }}

),

customer_labels as (

    select * from {{ ref('stg_customer_labels') }}

),

customer_rfm as (

    select * from {{ ref('customer_rfm') }}

),

as_of as (

    select * from {{ ref('int_as_of') }}

),

all_customer_ids as (

    select customer_id from customers where customer_id is not null
    union
    select customer_id from customer_orders
    union
    select customer_id from feedback where customer_id is not null
    union
    select customer_id from campaign_exposures where customer_id is not null
    union
    select customer_id from customer_labels where customer_id is not null

),

category_revenue as (

    select
        order_lines.customer_id,
        order_lines.category,
        sum(order_lines.net_amount) as category_revenue
    from order_lines
    cross join as_of
    where order_lines.customer_id is not null
        and order_lines.category is not null
        and order_lines.order_date <= as_of.as_of
    group by order_lines.customer_id, order_lines.category
    -- only categories the customer actually bought (a completed line), not just cancelled or returned
    having count(*) filter (where order_lines.is_completed) > 0

),

favourite_category as (

    select
        customer_id,
        category as favourite_category
    from category_revenue
    qualify row_number() over (
        partition by customer_id order by category_revenue desc, category asc
    ) = 1

),

feedback_per_customer as (

    select
        customer_id,
        count(*) filter (where channel = 'review') as review_count,
        avg(rating) filter (where channel = 'review') as avg_rating,
        count(*) filter (where channel = 'support') as support_contacts
    from feedback
    where customer_id is not null
    group by customer_id

),

campaigns_per_customer as (

    select
        customer_id,
        count(distinct campaign_id) as campaigns_exposed
    from campaign_exposures
    group by customer_id

),

final as (

    select
        ids.customer_id,

        -- profile
        customers.country,
        customers.city,
        customers.age,
        customers.gender,
        customers.first_seen_at,
        customers.source,

        -- orders (on or before as_of; net revenue = completed - returned lines)
        coalesce(customer_orders.completed_orders, 0) as lifetime_orders,
        coalesce(customer_orders.net_revenue, 0) as lifetime_revenue,
        coalesce(customer_orders.gross_revenue, 0) as gross_revenue,
        customer_orders.first_order_at,
        customer_orders.last_order_at,
        {{ safe_divide('customer_orders.net_revenue', 'customer_orders.completed_orders') }} as avg_order_value,
        {{ dbt.datediff(
            'least(cast(customer_orders.first_order_at as date), cast(customers.first_seen_at as date))',
            'as_of.as_of', 'day'
        ) }} as tenure_days,
        coalesce(customer_orders.lines, 0) as order_lines,
        coalesce(customer_orders.returned_lines, 0) as returned_lines,
        coalesce(customer_orders.cancelled_lines, 0) as cancelled_lines,
        {{ safe_divide('customer_orders.returned_lines', 'customer_orders.lines') }} as return_rate,
        {{ safe_divide('customer_orders.cancelled_lines', 'customer_orders.lines') }} as cancel_rate,
        favourite_category.favourite_category,

        -- feedback
        coalesce(feedback_per_customer.review_count, 0) as review_count,
        feedback_per_customer.avg_rating,
        coalesce(feedback_per_customer.support_contacts, 0) as support_contacts,

        -- campaigns and labels
        coalesce(campaigns_per_customer.campaigns_exposed, 0) as campaigns_exposed,
        customer_labels.is_churned_label,

        -- RFM (null for customers without a completed order)
        customer_rfm.recency_days,
        customer_rfm.r_score,
        customer_rfm.f_score,
        customer_rfm.m_score,
        customer_rfm.rfm_score,
        customer_rfm.segment,
        customer_rfm.is_churned,

        as_of.as_of
    from all_customer_ids as ids
    cross join as_of
    left join customers on ids.customer_id = customers.customer_id
    left join customer_orders on ids.customer_id = customer_orders.customer_id
    left join favourite_category on ids.customer_id = favourite_category.customer_id
    left join feedback_per_customer on ids.customer_id = feedback_per_customer.customer_id
    left join campaigns_per_customer on ids.customer_id = campaigns_per_customer.customer_id
    left join customer_labels on ids.customer_id = customer_labels.customer_id
    left join customer_rfm on ids.customer_id = customer_rfm.customer_id

)

select * from final
