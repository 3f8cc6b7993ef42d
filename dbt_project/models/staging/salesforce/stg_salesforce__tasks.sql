with

source as (
    select * from {{ source_or_empty('salesforce', 'task') }}
),

renamed as (
    select
        id as task_id,
        account_id,
        what_id,
        owner_id,
        type as task_type,
        subject,
        status,
        priority,
        activity_date,
        coalesce(is_closed, false) as is_closed,
        description,
        cadence_task_key_c as cadence_task_key,
        created_date as created_at,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
)

select * from renamed
