{#- One row per person owning in-scope accounts: the rep's book across both CRMs (rep_accounts). -#}
with

books as (
    select * from {{ ref('rep_accounts') }}
),

accounts as (
    select * from {{ ref('account_cadence') }}
),

people as (
    select * from {{ ref('rep_people') }}
),

prospects as (
    select * from {{ ref('prospect_progression') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_planned
),

referrers as (
    select * from {{ ref('referrer_coverage') }}
),

account_counts as (
    select
        books.person_key,
        max(books.person_name) as person_name,
        count(*) as in_scope_accounts,
        count(*) filter (where accounts.is_overdue) as overdue_accounts
    from books
    inner join accounts on books.account_key = accounts.account_key
    group by 1
),

prospect_counts as (
    select
        books.person_key,
        count(*) filter (where prospects.cohort_month = {{ month_start(as_of_date()) }})
            as new_prospects_this_month
    from prospects
    inner join books on prospects.account_key = books.account_key
    group by 1
),

visit_counts as (
    select
        books.person_key,
        count(*) as visits_last_30d
    from visits
    inner join books on visits.account_key = books.account_key
    where {{ in_trailing_window('visits.visit_date', 30) }}
    group by 1
),

coverage_counts as (
    select
        books.person_key,
        count(*) as referrers,
        count(*) filter (where referrers.met_in_share_window) as referrers_met_in_window
    from referrers
    inner join books on referrers.account_key = books.account_key
    group by 1
),

final as (
    select
        account_counts.person_key,
        account_counts.person_name,
        people.email,
        people.crms,
        account_counts.in_scope_accounts,
        account_counts.overdue_accounts,
        {{ percent_of(
            '(account_counts.in_scope_accounts - account_counts.overdue_accounts)',
            'account_counts.in_scope_accounts') }} as on_cadence_pct,
        coalesce(prospect_counts.new_prospects_this_month, 0) as new_prospects_this_month,
        {{ var('target_new_prospects_per_month') }} as target_new_prospects_per_month,
        coalesce(prospect_counts.new_prospects_this_month, 0)
            >= {{ var('target_new_prospects_per_month') }} as meets_prospect_target,
        coalesce(visit_counts.visits_last_30d, 0) as visits_last_30d,
        coalesce(coverage_counts.referrers, 0) as referrers,
        coalesce(coverage_counts.referrers_met_in_window, 0) as referrers_met_in_window,
        case
            when coverage_counts.referrers > 0
                then {{ percent_of('coverage_counts.referrers_met_in_window', 'coverage_counts.referrers') }}
        end as referrer_coverage_pct
    from account_counts
    left join people on account_counts.person_key = people.person_key
    left join prospect_counts on account_counts.person_key = prospect_counts.person_key
    left join visit_counts on account_counts.person_key = visit_counts.person_key
    left join coverage_counts on account_counts.person_key = coverage_counts.person_key
)

select * from final
