{#- NPPES providers with their matching keys (macros/registry_matching.sql). A deactivated NPI (not
    reactivated since) keeps a row, flagged: the marts leave it out. -#}
with

source as (
    select * from {{ source_or_empty('registries', 'nppes_providers') }}
),

renamed as (
    select
        npi,
        case entity_type_code when 1 then 'individual' when 2 then 'organization' end as entity_type,
        organization_name,
        first_name,
        last_name,
        credential,
        coalesce(organization_name, trim(concat_ws(' ', first_name, last_name))) as provider_name,
        case
            when entity_type_code = 2 then {{ normalised_name('organization_name') }}
            else {{ normalised_name("concat_ws(' ', first_name, last_name)") }}
        end as name_key,
        address_line_1,
        address_line_2,
        city,
        state,
        postal_code,
        {{ zip5('postal_code') }} as zip5,
        {{ normalised_address('address_line_1') }} as address_key,
        taxonomy_codes,
        primary_taxonomy_code,
        last_update_date,
        deactivation_date,
        -- The readme: a reactivated NPI carries a reactivation date after its deactivation date.
        coalesce(deactivation_date is not null
            and (reactivation_date is null or reactivation_date < deactivation_date), false) as is_deactivated
    from source
),

keyed as (
    select
        *,
        {{ join_location_key('address_key', 'zip5') }} as location_key
    from renamed
)

select * from keyed
