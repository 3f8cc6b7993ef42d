{#- One row per CRM owner (Salesforce user, HubSpot owner), with the person it is: owners of both CRMs
    (or two records in one CRM) with the same email, compared case- and space-insensitively, are one
    person. An owner without an email is a person of its own, keyed by its CRM id. -#}
with

owners as (
    select * from {{ ref('int_owners') }}
),

keyed as (
    select
        crm,
        owner_id,
        owner_name,
        nullif(lower(trim(email)), '') as email,
        is_active
    from owners
),

final as (
    select
        crm,
        owner_id,
        coalesce('email:' || email, crm || ':' || owner_id) as person_key,
        email,
        owner_name,
        is_active
    from keyed
)

select * from final
