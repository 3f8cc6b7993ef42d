with

accounts as (
    select * from {{ ref('int_account_cadence') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_planned
),

planned_visits as (
    select * from {{ ref('int_planned_visits') }}
),

visit_summary as (
    select
        account_key,
        count(*) as visit_count,
        min(visit_date) as first_visit_date,
        max(visit_date) as last_visit_date,
        sum(case when {{ in_trailing_window('visit_date', 90) }} then 1 else 0 end) as visits_last_90d
    from visits
    group by 1
),

next_planned as (
    select
        account_key,
        min(planned_visit_date) as next_planned_visit_date
    from planned_visits
    group by 1
),

joined as (
    select
        accounts.*,
        coalesce(visit_summary.visit_count, 0) as visit_count,
        visit_summary.first_visit_date,
        visit_summary.last_visit_date,
        coalesce(visit_summary.visits_last_90d, 0) as visits_last_90d,
        next_planned.next_planned_visit_date,
        {{ add_days('accounts.cadence_days',
            'coalesce(visit_summary.last_visit_date, accounts.created_date)') }} as next_visit_due
    from accounts
    left join visit_summary on accounts.account_key = visit_summary.account_key
    left join next_planned on accounts.account_key = next_planned.account_key
),

measured as (
    select
        *,
        {{ days_between('last_visit_date', as_of_date()) }} as days_since_last_visit,
        {{ days_between('next_visit_due', as_of_date()) }} as days_overdue
    from joined
),

final as (
    select
        account_key,
        crm,
        crm_account_id,
        account_name,
        owner_id,
        owner_name,
        owner_is_active,
        status,
        cadence_days,
        visit_count,
        first_visit_date,
        last_visit_date,
        days_since_last_visit,
        next_visit_due,
        days_overdue,
        days_overdue > 0 as is_overdue,
        case
            when days_overdue > 0 then 'overdue'
            when visit_count = 0 then 'never_visited'
            when -days_overdue <= {{ var('due_soon_days') }} then 'due_soon'
            else 'on_track'
        end as cadence_status,
        next_planned_visit_date,
        visits_last_90d,
        created_date,
        crm_status,
        cadence_source
    from measured
)

select * from final
