with

potential as (
    select * from {{ ref('int_account_potential') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_planned
),

coverage as (
    select * from {{ ref('referrer_coverage') }}
),

referrers_met as (
    select account_key, count(distinct case when met_in_share_window then contact_key end) as referrers_met_180d
    from coverage
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
        potential.account_key,
        potential.owner_id,
        potential.referrer_count,
        potential.referrals_12m,
        potential.potential_score,
        potential.potential_rank,
        coalesce(visit_counts.visits_180d, 0) as visits_180d,
        coalesce(referrers_met.referrers_met_180d, 0) as referrers_met_180d
    from potential
    left join visit_counts on potential.account_key = visit_counts.account_key
    left join referrers_met on potential.account_key = referrers_met.account_key
),

with_owner_totals as (
    select
        *,
        sum(visits_180d) over (partition by owner_id) as owner_visits_180d,
        sum(potential_score) over (partition by owner_id) as owner_potential_score
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
