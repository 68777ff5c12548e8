with

source as (

    select * from {{ source('raw', 'rejected_rows') }}

),

renamed as (

    select
        cast(source as varchar) as source,
        cast(file as varchar) as file_name,
        cast(raw_table as varchar) as raw_table,
        cast(row_number as bigint) as source_row_number,
        cast(reason as varchar) as reason,
        cast(payload as json) as payload,
        cast(rejected_at as timestamp) as rejected_at
    from source

)

select * from renamed
