with

accounts as (
    select * from {{ ref('account_cadence') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_planned
),

referrers as (
    select * from {{ ref('int_referrers') }}
),

referrals as (
    select * from {{ ref('int_referrals') }}
),

coverage as (
    select * from {{ ref('referrer_coverage') }}
),

referrers_met as (
    select account_key, count(distinct case when met_in_share_window then contact_key end) as referrers_met_180d
    from coverage
    group by 1
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

visit_counts as (
    select account_key, count(*) as visits_180d
    from visits
    where {{ in_trailing_window('visit_date', var('share_window_days')) }}
    group by 1
),

per_account as (
    select
        accounts.account_key,
        accounts.owner_id,
        coalesce(referrer_counts.referrer_count, 0) as referrer_count,
        coalesce(referral_counts.referrals_12m, 0) as referrals_12m,
        coalesce(referrer_counts.referrer_count, 0) as potential_score,
        coalesce(visit_counts.visits_180d, 0) as visits_180d,
        coalesce(referrers_met.referrers_met_180d, 0) as referrers_met_180d
    from accounts
    left join referrer_counts on accounts.account_key = referrer_counts.account_key
    left join referral_counts on accounts.account_key = referral_counts.account_key
    left join visit_counts on accounts.account_key = visit_counts.account_key
    left join referrers_met on accounts.account_key = referrers_met.account_key
),

with_owner_totals as (
    select
        *,
        sum(visits_180d) over (partition by owner_id) as owner_visits_180d,
        sum(potential_score) over (partition by owner_id) as owner_potential_score,
        rank() over (
            partition by owner_id
            order by potential_score desc, referrals_12m desc
        ) as potential_rank
    from per_account
),

shares as (
    select
        *,
        {{ share('visits_180d', 'owner_visits_180d') }} as visit_share,
        {{ share('potential_score', 'owner_potential_score') }} as potential_share,
        {{ share('referrers_met_180d', 'referrer_count') }} as coverage_share
    from with_owner_totals
),

final as (
    select
        account_key,
        owner_id,
        referrer_count,
        referrals_12m,
        potential_score,
        potential_rank,
        visits_180d,
        visit_share,
        potential_share,
        potential_share - visit_share as allocation_gap,
        referrers_met_180d,
        coverage_share,
        referrer_count > 0 and coverage_share < {{ var('under_covered_share') }} as is_under_covered
    from shares
)

select * from final
