with

source as (
    select * from {{ source_or_empty('salesforce', 'account') }}
),

renamed as (
    select
        id as account_id,
        name as account_name,
        type as account_type,
        owner_id,
        parent_id as parent_account_id,
        -- Out of range (e.g. 1e12, which no integer holds): null here, the account rejected.
        case
            when {{ cadence_override_rejection('visit_cadence_days_c') }} is null
                then cast(visit_cadence_days_c as integer)
        end as cadence_days_override,
        visit_cadence_days_c as cadence_days_value,
        {{ cadence_override_rejection('visit_cadence_days_c') }} as rejection_reason,
        -- Registry matching (issue 15): the billing address is the practice address.
        billing_street,
        billing_city,
        billing_state,
        billing_postal_code,
        npi_c as npi,
        created_date as created_at,
        {{ local_date('created_date') }} as created_date,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
)

select * from renamed
