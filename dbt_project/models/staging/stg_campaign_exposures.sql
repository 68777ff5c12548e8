with

source as (

    select * from {{ source('raw', 'campaign_exposures') }}

),

renamed as (

    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(arm as {{ dbt.type_string() }}) as arm,
        cast(is_control as boolean) as is_control,
        cast(discount_pct as double) as discount_pct,
        cast(exposed_at as timestamp) as exposed_at,
        cast(visited as boolean) as visited,
        cast(converted as boolean) as converted,
        cast(spend as double) as spend,
        cast(attributes as {{ type_json() }}) as attributes,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
