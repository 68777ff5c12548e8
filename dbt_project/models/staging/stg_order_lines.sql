with

source as (

    select * from {{ source('raw', 'order_lines') }}

),

renamed as (

    select
        cast(order_id as varchar) as order_id,
        cast(line_no as integer) as line_no,
        cast(customer_id as varchar) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        cast(product_id as varchar) as product_id,
        cast(product_name as varchar) as product_name,
        cast(category as varchar) as category,
        cast(quantity as integer) as quantity,
        cast(unit_price as double) as unit_price,
        cast(discount_pct as double) as discount_pct,
        cast(status as varchar) as line_status,
        cast(source as varchar) as source
    from source

)

select * from renamed
