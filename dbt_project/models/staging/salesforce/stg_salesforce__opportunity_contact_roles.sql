{#- The contacts on an opportunity (a referral) and their role. -#}
with

source as (
    select * from {{ source_or_empty('salesforce', 'opportunity_contact_role') }}
),

renamed as (
    select
        id as opportunity_contact_role_id,
        opportunity_id,
        contact_id,
        role as contact_role,
        coalesce(is_primary, false) as is_primary,
        created_date as created_at,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
)

select * from renamed
