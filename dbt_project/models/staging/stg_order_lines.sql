with

source as (

    select * from {{ source('raw', 'order_lines') }}

),

renamed as (

    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(line_no as integer) as line_no,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(quantity as integer) as quantity,
        cast(unit_price as double) as unit_price,
        cast(discount_pct as double) as discount_pct,
        cast(status as {{ dbt.type_string() }}) as line_status,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
