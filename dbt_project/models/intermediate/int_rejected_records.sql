{#- Every record in quarantine now (issue 18), one row per (record, column, account):
    - values the sync could not type (null in the raw layer) and records stamped after the CRM's clock
      (not loaded), from raw_<crm>.rejected_records: a rejection stands until a newer version of its
      record is loaded (the CRM's copy was fixed);
    - values out of the rules' range, found here: a cadence override above max_cadence_days, a visit
      dated outside earliest_visit_year .. as-of + max_visit_days_ahead.
    An account with a standing rejection gets no 'create' task (overdue_visit_tasks). -#}
with

sync_rejections as (
    select * from {{ ref('stg_salesforce__rejected_records') }}
    union all
    select * from {{ ref('stg_hubspot__rejected_records') }}
),

salesforce_events as (
    select * from {{ ref('stg_salesforce__events') }}
),

hubspot_meetings as (
    select
        meetings.*,
        associations.company_id
    from {{ ref('stg_hubspot__meetings') }} as meetings
    left join {{ ref('stg_hubspot__company_associations') }} as associations
        on associations.object_type = 'meeting'
        and associations.object_id = meetings.meeting_id
),

-- The version of each record the raw layer holds, and the account it belongs to.
record_versions as (
    select 'salesforce' as crm, 'Account' as object_name, account_id as record_id, modified_at,
        account_id as crm_account_id
    from {{ ref('stg_salesforce__accounts') }}
    union all
    select 'salesforce', 'Event', event_id, modified_at,
        {{ salesforce_account_of_activity('account_id', 'what_id') }}
    from salesforce_events
    union all
    select 'salesforce', 'Task', task_id, modified_at,
        {{ salesforce_account_of_activity('account_id', 'what_id') }}
    from {{ ref('stg_salesforce__tasks') }}
    union all
    select 'hubspot', 'companies', company_id, modified_at, company_id
    from {{ ref('stg_hubspot__companies') }}
    union all
    select 'hubspot', 'meetings', meeting_id, modified_at, company_id
    from hubspot_meetings
),

sightings as (
    select
        *,
        min(seen_at) over (partition by crm, object_name, record_id, column_name) as first_seen,
        row_number() over (
            partition by crm, object_name, record_id, column_name order by seen_at desc
        ) as sighting
    from sync_rejections
),

-- Superseded when the raw layer holds a version written after the rejected one (a future stamp:
-- after the sync that saw it, since such a record is read, and rejected, by every sync until fixed).
standing as (
    select sightings.*
    from sightings
    where sighting = 1
        and not exists (
            select 1
            from record_versions
            where record_versions.crm = sightings.crm
                and record_versions.object_name = sightings.object_name
                and record_versions.record_id = sightings.record_id
                and record_versions.modified_at > least(sightings.record_modified_at, sightings.seen_at)
        )
),

typed_in_sync as (
    select
        standing.crm,
        standing.object_name,
        standing.record_id,
        standing.column_name,
        standing.value,
        standing.reason,
        standing.first_seen,
        standing.record_modified_at,
        record_versions.crm_account_id
    from standing
    left join record_versions
        on standing.crm = record_versions.crm
        and standing.object_name = record_versions.object_name
        and standing.record_id = record_versions.record_id
),

out_of_range as (
    select 'salesforce' as crm, 'Account' as object_name, account_id as record_id,
        'visit_cadence_days_c' as column_name,
        cast(cadence_days_value as {{ dbt.type_string() }}) as value, rejection_reason as reason,
        cast(null as {{ dbt.type_timestamp() }}) as first_seen, modified_at as record_modified_at,
        account_id as crm_account_id
    from {{ ref('stg_salesforce__accounts') }}
    where rejection_reason is not null and not is_deleted
    union all
    select 'hubspot', 'companies', company_id, 'visit_cadence_days',
        cast(cadence_days_value as {{ dbt.type_string() }}), rejection_reason,
        cast(null as {{ dbt.type_timestamp() }}), modified_at, company_id
    from {{ ref('stg_hubspot__companies') }}
    where rejection_reason is not null and not is_deleted
    union all
    select 'salesforce', 'Event', event_id, 'activity_date',
        cast(coalesce(activity_date, start_date) as {{ dbt.type_string() }}), rejection_reason,
        cast(null as {{ dbt.type_timestamp() }}), modified_at,
        {{ salesforce_account_of_activity('account_id', 'what_id') }}
    from salesforce_events
    where rejection_reason is not null and not is_deleted
        and event_type in ({{ sql_list(var('salesforce_visit_event_types')) }})
    union all
    select 'hubspot', 'meetings', meeting_id, 'hs_meeting_start_time',
        cast(coalesce(start_date, activity_date) as {{ dbt.type_string() }}), rejection_reason,
        cast(null as {{ dbt.type_timestamp() }}), modified_at, company_id
    from hubspot_meetings
    where rejection_reason is not null and not is_deleted
),

unioned as (
    select * from typed_in_sync
    union all
    select * from out_of_range
),

final as (
    select
        crm,
        object_name,
        record_id,
        column_name,
        value,
        reason,
        first_seen,
        record_modified_at,
        crm_account_id,
        case
            when crm_account_id is not null then {{ account_key('crm', 'crm_account_id') }}
        end as account_key
    from unioned
)

select * from final
