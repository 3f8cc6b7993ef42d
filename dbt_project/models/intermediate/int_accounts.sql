{#- Both CRMs' accounts side by side, with the cadence status and cadence_days of the contract.
    Deleted/archived accounts are gone; out-of-scope ones stay with status 'out_of_scope'. -#}
with

salesforce_accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
    where not is_deleted
        and rejection_reason is null  -- quarantined: int_rejected_records
),

hubspot_companies as (
    select * from {{ ref('stg_hubspot__companies') }}
    where not is_deleted
        and rejection_reason is null  -- quarantined: int_rejected_records
),

owners as (
    select * from {{ ref('int_owners') }}
),

salesforce as (
    select
        'salesforce' as crm,
        account_id as crm_account_id,
        account_name,
        owner_id,
        account_type as crm_status,
        {{ account_status('account_type', var('salesforce_active_types'), var('salesforce_prospect_types')) }}
            as status,
        cadence_days_override,
        created_date
    from salesforce_accounts
),

hubspot as (
    select
        'hubspot' as crm,
        company_id as crm_account_id,
        company_name as account_name,
        owner_id,
        lifecycle_stage as crm_status,
        {{ account_status('lifecycle_stage', var('hubspot_active_lifecyclestages'),
            var('hubspot_prospect_lifecyclestages')) }} as status,
        cadence_days_override,
        created_date
    from hubspot_companies
),

unioned as (
    select * from salesforce
    union all
    select * from hubspot
),

final as (
    select
        {{ account_key('unioned.crm', 'unioned.crm_account_id') }} as account_key,
        unioned.crm,
        unioned.crm_account_id,
        unioned.account_name,
        unioned.owner_id,
        owners.owner_name,
        -- A deactivated user / archived owner (or an id that is no user: a queue) cannot act on a task.
        coalesce(owners.is_active, false) as owner_is_active,
        unioned.crm_status,
        unioned.status,
        unioned.status in ('active', 'prospect') as is_in_scope,
        unioned.cadence_days_override,
        case
            when unioned.cadence_days_override > 0 then unioned.cadence_days_override
            when unioned.status = 'active' then {{ var('default_cadence_days_active') }}
            when unioned.status = 'prospect' then {{ var('default_cadence_days_prospect') }}
        end as cadence_days,
        unioned.created_date
    from unioned
    left join owners
        on unioned.crm = owners.crm
        and unioned.owner_id = owners.owner_id
)

select * from final
