with

source as (
    select * from {{ source_or_empty('salesforce', 'event') }}
),

renamed as (
    select
        id as event_id,
        account_id,
        what_id,
        who_id,
        owner_id,
        type as event_type,
        subject,
        activity_date,
        start_date_time as start_at,
        {{ local_date('start_date_time') }} as start_date,
        created_date as created_at,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
),

checked as (
    select
        *,
        {{ visit_date_rejection('coalesce(activity_date, start_date)') }} as rejection_reason
    from renamed
)

select * from checked
