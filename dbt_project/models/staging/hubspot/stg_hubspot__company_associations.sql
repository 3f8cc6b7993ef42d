{#- One row per (record, associated company), unnested from the comma-separated company_ids. -#}
with

contacts as (
    select 'contact' as object_type, contact_id as object_id, company_ids
    from {{ ref('stg_hubspot__contacts') }}
),

meetings as (
    select 'meeting' as object_type, meeting_id as object_id, company_ids
    from {{ ref('stg_hubspot__meetings') }}
),

tasks as (
    select 'task' as object_type, task_id as object_id, company_ids
    from {{ ref('stg_hubspot__tasks') }}
),

deals as (
    select 'deal' as object_type, deal_id as object_id, company_ids
    from {{ ref('stg_hubspot__deals') }}
),

associated as (
    select * from contacts
    union all
    select * from meetings
    union all
    select * from tasks
    union all
    select * from deals
)

{{ unnest_id_list('company_ids', 'company_id') }}
