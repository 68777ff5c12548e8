with

source as (

    select * from {{ source('raw', 'feedback') }}

),

renamed as (

    select
        cast(feedback_id as {{ dbt.type_string() }}) as feedback_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(created_at as timestamp) as created_at,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(rating as double) as rating,
        cast(title as {{ dbt.type_string() }}) as feedback_title,
        cast(text as {{ dbt.type_string() }}) as feedback_text,
        cast(attributes as {{ type_json() }}) as attributes,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
