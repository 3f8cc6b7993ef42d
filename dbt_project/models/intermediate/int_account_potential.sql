{#- Referral potential per in-scope account and its place in the owner's book (issue 14). Both
    referral_potential and the cadence policy (int_account_cadence) read it: the policy's potential
    tiers cannot read referral_potential, which reads account_cadence (a cycle). -#}
with

accounts as (
    select * from {{ ref('int_accounts') }}
    where is_in_scope
),

referrers as (
    select * from {{ ref('int_referrers') }}
),

referrals as (
    select * from {{ ref('int_referrals') }}
),

referrer_counts as (
    select account_key, count(distinct contact_id) as referrer_count
    from referrers
    group by 1
),

referral_counts as (
    select account_key, count(distinct referral_id) as referrals_12m
    from referrals
    where {{ in_trailing_window('referral_date', var('referral_window_days')) }}
    group by 1
),

per_account as (
    select
        accounts.account_key,
        accounts.owner_id,
        coalesce(referrer_counts.referrer_count, 0) as referrer_count,
        coalesce(referral_counts.referrals_12m, 0) as referrals_12m,
        coalesce(referrer_counts.referrer_count, 0) as potential_score
    from accounts
    left join referrer_counts on accounts.account_key = referrer_counts.account_key
    left join referral_counts on accounts.account_key = referral_counts.account_key
),

ranked as (
    select
        *,
        rank() over (
            partition by owner_id
            order by potential_score desc, referrals_12m desc
        ) as potential_rank,
        count(*) over (partition by owner_id) as owner_accounts
    from per_account
),

final as (
    select
        account_key,
        owner_id,
        referrer_count,
        referrals_12m,
        potential_score,
        potential_rank,
        owner_accounts,
        -- The share of the owner's accounts ranked ahead of this one: 0 for the best. An account is in
        -- the top share s of the book when potential_percentile < s and it has any potential at all.
        {{ ratio('(potential_rank - 1)', 'owner_accounts') }} as potential_percentile
    from ranked
)

select * from final
