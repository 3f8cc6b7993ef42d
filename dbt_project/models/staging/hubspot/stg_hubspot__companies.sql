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
        -- Out of range (e.g. 1e12, which no integer holds): null here, the company rejected.
        case
            when {{ cadence_override_rejection('visit_cadence_days') }} is null
                then cast(visit_cadence_days as integer)
        end as cadence_days_override,
        visit_cadence_days as cadence_days_value,
        {{ cadence_override_rejection('visit_cadence_days') }} as rejection_reason,
        -- Registry matching (issue 15): the company's street address and ZIP.
        address as street,
        zip as postal_code,
        npi,
        createdate as created_at,
        {{ local_date('createdate') }} as created_date,
        hs_lastmodifieddate as modified_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from renamed
