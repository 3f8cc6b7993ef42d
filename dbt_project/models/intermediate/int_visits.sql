{#- One row per account per visit date (several visit records on one date are one visit), for
    in-CRM accounts of both CRMs. is_planned: the date is after the as-of date (not done yet). -#}
with

salesforce_events as (
    select * from {{ salesforce_visit_events() }}  -- macros/visit_filters.sql
),

salesforce_tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
    where not is_deleted
        and task_type in ({{ sql_list(var('salesforce_visit_task_types')) }})
        and status in ({{ sql_list(var('salesforce_visit_task_statuses')) }})
),

hubspot_meetings as (
    select * from {{ hubspot_visit_meetings() }}  -- macros/visit_filters.sql
),

hubspot_meeting_companies as (
    select * from {{ ref('stg_hubspot__company_associations') }}
    where object_type = 'meeting'
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

visit_records as (
    select
        'salesforce' as crm,
        {{ salesforce_account_of_activity('account_id', 'what_id') }} as crm_account_id,
        coalesce(activity_date, start_date) as visit_date
    from salesforce_events

    union all

    select
        'salesforce' as crm,
        {{ salesforce_account_of_activity('account_id', 'what_id') }} as crm_account_id,
        activity_date as visit_date
    from salesforce_tasks

    union all

    select
        'hubspot' as crm,
        hubspot_meeting_companies.company_id as crm_account_id,
        coalesce(hubspot_meetings.start_date, hubspot_meetings.activity_date) as visit_date
    from hubspot_meetings
    inner join hubspot_meeting_companies
        on hubspot_meetings.meeting_id = hubspot_meeting_companies.object_id
),

visit_days as (
    select
        accounts.account_key,
        visit_records.crm,
        visit_records.crm_account_id,
        visit_records.visit_date,
        count(*) as record_count
    from visit_records
    inner join accounts
        on visit_records.crm = accounts.crm
        and visit_records.crm_account_id = accounts.crm_account_id
    where visit_records.visit_date is not null
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        visit_date > {{ as_of_date() }} as is_planned
    from visit_days
)

select * from final
