{#- Who can refer at a rep's best accounts but was never met: one row per referrer (referrer_coverage,
    never_met) of an account in the top priority_high_top_potential_share of its owner's book by
    potential (int_account_potential: the tier that also makes the account's task High). A share of 0
    turns the tier off, and with it this list. -#}
with

unmet as (
    select * from {{ ref('referrer_coverage') }}
    where never_met
),

potential as (
    select * from {{ ref('int_account_potential') }}
),

books as (
    select * from {{ ref('rep_accounts') }}
),

final as (
    select
        books.person_key,
        books.person_name,
        unmet.account_key,
        books.crm,
        books.crm_account_id,
        potential.potential_rank,
        potential.referrer_count,
        unmet.contact_key,
        unmet.contact_name,
        unmet.title,
        unmet.referrals_12m
    from unmet
    inner join potential on unmet.account_key = potential.account_key
    inner join books on unmet.account_key = books.account_key
    where potential.potential_score > 0
        and potential.potential_percentile < {{ var('priority_high_top_potential_share') }}
)

select * from final
