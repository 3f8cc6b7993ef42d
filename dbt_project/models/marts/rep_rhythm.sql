with

accounts as (
    select * from {{ ref('account_cadence') }}
    where owner_id is not null
),

prospects as (
    select * from {{ ref('prospect_progression') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_planned
),

owner_names as (
    select
        owner_id,
        max(owner_name) as owner_name
    from accounts
    group by 1
),

account_counts as (
    select
        owner_id,
        sum(case when status = 'active' then 1 else 0 end) as active_accounts,
        sum(case when status = 'active' and is_overdue then 1 else 0 end) as active_overdue
    from accounts
    group by 1
),

prospect_counts as (
    select
        owner_id,
        sum(case when visit_count >= 1 and not ready_to_reclassify then 1 else 0 end)
            as prospects_in_progress,
        sum(case when cohort_month = {{ month_start(as_of_date()) }} then 1 else 0 end)
            as new_prospects_this_month,
        sum(case when cohort_month = {{ month_start(add_days(-1, month_start(as_of_date()))) }}
            then 1 else 0 end) as new_prospects_last_month,
        sum(case when ready_to_reclassify then 1 else 0 end) as ready_to_reclassify
    from prospects
    group by 1
),

visit_counts as (
    select
        accounts.owner_id,
        count(*) as visits_last_30d
    from visits
    inner join accounts on visits.account_key = accounts.account_key
    where {{ in_trailing_window('visits.visit_date', 30) }}
    group by 1
),

final as (
    select
        owner_names.owner_id,
        owner_names.owner_name,
        account_counts.active_accounts,
        account_counts.active_overdue,
        case
            when account_counts.active_accounts > 0
                then {{ percent_of(
                    '(account_counts.active_accounts - account_counts.active_overdue)',
                    'account_counts.active_accounts') }}
        end as on_cadence_pct,
        coalesce(prospect_counts.prospects_in_progress, 0) as prospects_in_progress,
        coalesce(prospect_counts.new_prospects_this_month, 0) as new_prospects_this_month,
        coalesce(prospect_counts.new_prospects_last_month, 0) as new_prospects_last_month,
        coalesce(prospect_counts.ready_to_reclassify, 0) as ready_to_reclassify,
        coalesce(visit_counts.visits_last_30d, 0) as visits_last_30d,
        {{ var('target_new_prospects_per_month') }} as target_new_prospects_per_month
    from owner_names
    inner join account_counts on owner_names.owner_id = account_counts.owner_id
    left join prospect_counts on owner_names.owner_id = prospect_counts.owner_id
    left join visit_counts on owner_names.owner_id = visit_counts.owner_id
)

select * from final
