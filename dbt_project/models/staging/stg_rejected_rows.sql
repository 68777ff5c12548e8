with

source as (

    select * from {{ source('raw', 'rejected_rows') }}

),

renamed as (

    select
        cast(source as {{ dbt.type_string() }}) as source,
        cast(file as {{ dbt.type_string() }}) as file_name,
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(row_number as bigint) as source_row_number,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(payload as {{ type_json() }}) as payload,
        cast(rejected_at as timestamp) as rejected_at
    from source

)

select * from renamed
