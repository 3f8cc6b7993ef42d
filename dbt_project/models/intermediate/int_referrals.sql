{#- Referrals received: live opportunities / deals of a known account, one row per (account, referral). -#}
with

salesforce_opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted
),

hubspot_deals as (
    select * from {{ ref('stg_hubspot__deals') }}
    where not is_deleted
),

hubspot_deal_companies as (
    select * from {{ ref('stg_hubspot__company_associations') }}
    where object_type = 'deal'
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

referrals as (
    select
        'salesforce' as crm,
        account_id as crm_account_id,
        opportunity_id as referral_id,
        created_date as referral_date
    from salesforce_opportunities

    union all

    select
        'hubspot' as crm,
        hubspot_deal_companies.company_id as crm_account_id,
        hubspot_deals.deal_id as referral_id,
        hubspot_deals.created_date as referral_date
    from hubspot_deals
    inner join hubspot_deal_companies
        on hubspot_deals.deal_id = hubspot_deal_companies.object_id
),

final as (
    select
        accounts.account_key,
        referrals.crm,
        referrals.crm_account_id,
        referrals.referral_id,
        referrals.referral_date
    from referrals
    inner join accounts
        on referrals.crm = accounts.crm
        and referrals.crm_account_id = accounts.crm_account_id
)

select * from final
