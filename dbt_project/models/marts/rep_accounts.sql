{#- Each rep's book: one row per owned in-scope account, with the person (rep_people) owning it. An
    owner id no owner record names (a queue, a user not synced) is a person of its own, crm:owner_id,
    named by the id. Unowned accounts have no rep and are left out, as in rep_rhythm. -#}
with

accounts as (
    select * from {{ ref('account_cadence') }}
    where owner_id is not null
),

owner_people as (
    select * from {{ ref('int_people') }}
),

people as (
    select * from {{ ref('rep_people') }}
),

final as (
    select
        accounts.account_key,
        accounts.crm,
        accounts.crm_account_id,
        accounts.owner_id,
        coalesce(owner_people.person_key, accounts.crm || ':' || accounts.owner_id) as person_key,
        coalesce(people.person_name, accounts.owner_name, accounts.owner_id) as person_name
    from accounts
    left join owner_people
        on accounts.crm = owner_people.crm
        and accounts.owner_id = owner_people.owner_id
    left join people on owner_people.person_key = people.person_key
)

select * from final
