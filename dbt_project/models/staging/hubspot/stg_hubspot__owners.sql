with

source as (
    select * from {{ source_or_empty('hubspot', 'owners') }}
),

renamed as (
    select
        id as owner_id,
        email,
        first_name,
        last_name,
        nullif(trim(concat_ws(' ', first_name, last_name)), '') as owner_name,
        updated_at as modified_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from renamed
