{#- In-scope accounts with the cadence that applies (issue 14, "cadence follows value"): the override,
    else the first matching entry of the rules' cadence_policy, else the status default; cadence_source
    says which. account_cadence reads this, not int_accounts. -#}
with

accounts as (
    select * from {{ ref('int_accounts') }}
    where is_in_scope
),

potential as (
    select * from {{ ref('int_account_potential') }}
),

final as (
    select
        accounts.account_key,
        accounts.crm,
        accounts.crm_account_id,
        accounts.account_name,
        accounts.owner_id,
        accounts.owner_name,
        accounts.owner_is_active,
        accounts.crm_status,
        accounts.status,
        accounts.is_in_scope,
        accounts.cadence_days_override,
        {{ policy_cadence('days') }} as cadence_days,
        {{ policy_cadence('source') }} as cadence_source,
        accounts.created_date
    from accounts
    left join potential on accounts.account_key = potential.account_key
)

select * from final
