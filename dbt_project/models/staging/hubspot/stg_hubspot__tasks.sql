with

source as (
    select * from {{ source_or_empty('hubspot', 'tasks') }}
),

renamed as (
    select
        id as task_id,
        hs_task_subject as subject,
        hs_task_body as body,
        hs_task_status as status,
        hs_task_priority as priority,
        hubspot_owner_id as owner_id,
        cadence_task_key,
        company_ids,
        nullif(split_part(company_ids, ',', 1), '') as first_company_id,
        hs_timestamp as due_at,
        {{ local_date('hs_timestamp') }} as due_date,
        hs_createdate as created_at,
        hs_lastmodifieddate as modified_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from renamed
