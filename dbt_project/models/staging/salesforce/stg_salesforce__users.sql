with

source as (
    select * from {{ source_or_empty('salesforce', 'user') }}
),

renamed as (
    select
        id as user_id,
        name as user_name,
        email,
        coalesce(is_active, true) as is_active,
        system_modstamp as modified_at
    from source
)

select * from renamed
