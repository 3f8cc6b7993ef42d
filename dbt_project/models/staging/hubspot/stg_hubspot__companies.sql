with

source as (
    select * from {{ source_or_empty('hubspot', 'companies') }}
),

renamed as (
    select
        id as company_id,
        name as company_name,
        lifecyclestage as lifecycle_stage,
        hubspot_owner_id as owner_id,
        cast(visit_cadence_days as integer) as cadence_days_override,
        createdate as created_at,
        {{ local_date('createdate') }} as created_date,
        hs_lastmodifieddate as modified_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from renamed
