{#- One row per person: the reps of both CRMs matched by email (int_people). The name shown is the
    one of the person's active record in Salesforce, else HubSpot, so a renamed owner record that was
    deactivated does not rename the person. -#}
with

people as (
    select * from {{ ref('int_people') }}
),

final as (
    select
        person_key,
        max(email) as email,
        {{ first_by('owner_name', 'owner_name is null, is_active desc, crm desc, owner_id') }} as person_name,
        string_agg(distinct crm, '+' order by crm) as crms,
        string_agg(crm || ':' || owner_id, ', ' order by crm, owner_id) as crm_owner_ids,
        count(*) as owner_records,
        bool_or(is_active) as is_active
    from people
    group by person_key
)

select * from final
