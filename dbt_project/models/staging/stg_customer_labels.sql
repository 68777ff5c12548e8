with

source as (

    select * from {{ source('raw', 'customer_labels') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(churned as boolean) as is_churned_label,
        cast(labelled_at as timestamp) as labelled_at,
        cast(attributes as {{ type_json() }}) as attributes,
        cast(source as {{ dbt.type_string() }}) as source
    from source

)

select * from renamed
