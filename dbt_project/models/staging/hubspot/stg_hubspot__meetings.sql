with

source as (
    select * from {{ source_or_empty('hubspot', 'meetings') }}
),

renamed as (
    select
        id as meeting_id,
        hs_meeting_title as meeting_title,
        hs_meeting_outcome as meeting_outcome,
        hubspot_owner_id as owner_id,
        company_ids,
        contact_ids,
        hs_meeting_start_time as start_at,
        {{ local_date('hs_meeting_start_time') }} as start_date,
        hs_timestamp as activity_at,
        {{ local_date('hs_timestamp') }} as activity_date,
        hs_createdate as created_at,
        hs_lastmodifieddate as modified_at,
        coalesce(archived, false) as is_deleted
    from source
),

checked as (
    select
        *,
        {{ visit_date_rejection('coalesce(start_date, activity_date)') }} as rejection_reason
    from renamed
)

select * from checked
