with

source as (

    select * from {{ source('raw', 'feedback') }}

),

renamed as (

    select
        cast(feedback_id as varchar) as feedback_id,
        cast(customer_id as varchar) as customer_id,
        cast(product_id as varchar) as product_id,
        cast(category as varchar) as category,
        cast(created_at as timestamp) as created_at,
        cast(channel as varchar) as channel,
        cast(rating as double) as rating,
        cast(title as varchar) as feedback_title,
        cast(text as varchar) as feedback_text,
        cast(attributes as json) as attributes,
        cast(source as varchar) as source
    from source

)

select * from renamed
