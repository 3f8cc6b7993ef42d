{#- People who can send referrals: live contacts of a known account whose title matches the rules'
    referrer_title_patterns (none: every contact), one row per (account, contact). -#}
with

salesforce_contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
    where not is_deleted
),

hubspot_contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_deleted
),

hubspot_contact_companies as (
    select * from {{ ref('stg_hubspot__company_associations') }}
    where object_type = 'contact'
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

contacts as (
    select
        'salesforce' as crm,
        account_id as crm_account_id,
        contact_id,
        contact_name,
        title
    from salesforce_contacts

    union all

    select
        'hubspot' as crm,
        hubspot_contact_companies.company_id as crm_account_id,
        hubspot_contacts.contact_id,
        nullif(trim(concat_ws(' ', hubspot_contacts.first_name, hubspot_contacts.last_name)), '')
            as contact_name,
        hubspot_contacts.job_title as title
    from hubspot_contacts
    inner join hubspot_contact_companies
        on hubspot_contacts.contact_id = hubspot_contact_companies.object_id
),

final as (
    select
        accounts.account_key,
        contacts.crm,
        contacts.crm_account_id,
        contacts.contact_id,
        contacts.contact_name,
        contacts.title
    from contacts
    inner join accounts
        on contacts.crm = accounts.crm
        and contacts.crm_account_id = accounts.crm_account_id
    where {{ is_referrer_title('contacts.title') }}
)

select * from final
