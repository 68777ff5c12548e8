with

source as (

    select * from {{ source('raw', 'events') }}

),

renamed as (

    select
        cast(event_key as {{ dbt.type_string() }}) as event_key,
        cast(event_at as timestamp) as event_at,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(brand as {{ dbt.type_string() }}) as brand,
        cast(price as double) as price,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
