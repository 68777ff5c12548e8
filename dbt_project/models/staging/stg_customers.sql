with

source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(first_seen_at as timestamp) as first_seen_at,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(age as integer) as age,
        cast(gender as {{ dbt.type_string() }}) as gender,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
