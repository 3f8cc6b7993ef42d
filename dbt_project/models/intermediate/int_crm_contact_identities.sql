{#- The referrers (contacts of a live account) with what identifies them in NPPES: the contact's NPI
    (NPI__c / npi, when the org has the field) and the normalised "first last" name. -#}
with

referrers as (
    select * from {{ ref('int_referrers') }}
),

contacts as (
    select 'salesforce' as crm, contact_id, npi, first_name, last_name
    from {{ ref('stg_salesforce__contacts') }}

    union all

    select 'hubspot' as crm, contact_id, npi, first_name, last_name
    from {{ ref('stg_hubspot__contacts') }}
),

final as (
    select
        referrers.account_key,
        referrers.crm,
        referrers.contact_id,
        nullif(trim(contacts.npi), '') as npi,
        {{ normalised_name("concat_ws(' ', contacts.first_name, contacts.last_name)") }} as person_name_key
    from referrers
    inner join contacts
        on referrers.crm = contacts.crm
        and referrers.contact_id = contacts.contact_id
)

select * from final
