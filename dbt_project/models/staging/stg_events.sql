with

source as (

    select * from {{ source('raw', 'events') }}

),

renamed as (

    select
        cast(event_key as varchar) as event_key,
        cast(event_at as timestamp) as event_at,
        cast(event_type as varchar) as event_type,
        cast(customer_id as varchar) as customer_id,
        cast(session_id as varchar) as session_id,
        cast(product_id as varchar) as product_id,
        cast(category as varchar) as category,
        cast(brand as varchar) as brand,
        cast(price as double) as price,
        cast(source as varchar) as source
    from source

)

select * from renamed
