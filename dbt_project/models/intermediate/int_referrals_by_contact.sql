{#- Who referred: one row per (account, referral, contact) of int_referrals. Salesforce: the contacts
    with an OpportunityContactRole on the opportunity (every role, primary or not); HubSpot: the deal's
    associated contacts. A referral naming two contacts counts for each. -#}
with

referrals as (
    select * from {{ ref('int_referrals') }}
),

contact_roles as (
    select opportunity_id as referral_id, contact_id
    from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    where not is_deleted and contact_id is not null
),

deal_contacts as (
    select object_id as referral_id, contact_id
    from {{ ref('stg_hubspot__contact_associations') }}
    where object_type = 'deal'
),

referral_contacts as (
    select 'salesforce' as crm, referral_id, contact_id from contact_roles
    union all
    select 'hubspot' as crm, referral_id, contact_id from deal_contacts
),

final as (
    select distinct
        referrals.account_key,
        referrals.crm,
        referrals.referral_id,
        referrals.referral_date,
        referral_contacts.contact_id
    from referrals
    inner join referral_contacts
        on referrals.crm = referral_contacts.crm
        and referrals.referral_id = referral_contacts.referral_id
)

select * from final
