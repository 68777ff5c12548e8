with

source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        cast(customer_id as varchar) as customer_id,
        cast(first_seen_at as timestamp) as first_seen_at,
        cast(country as varchar) as country,
        cast(city as varchar) as city,
        cast(age as integer) as age,
        cast(gender as varchar) as gender,
        cast(source as varchar) as source
    from source

)

select * from renamed
