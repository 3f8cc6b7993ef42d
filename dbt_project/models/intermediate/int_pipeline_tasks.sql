{#- Tasks this pipeline wrote, open or not, in both CRMs. A task is the pipeline's when its key field
    holds a key, when the writeback ledger records creating it (so a rep who rewrites its text does
    not turn it into a person's task), or when its text carries the key line anywhere (a rep may
    append a note below it). Other tasks are people's tasks and never appear here. -#}
with

salesforce_tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

hubspot_tasks as (
    select * from {{ ref('stg_hubspot__tasks') }}
),

task_writes as (
    select * from {{ ref('stg_cadence_ops__task_writes') }}
),

keyed as (
    select
        'salesforce' as crm,
        task_id as crm_task_id,
        {{ salesforce_account_of_activity('account_id', 'what_id') }} as crm_account_id,
        coalesce(
            nullif(trim(cadence_task_key), ''), task_writes.task_key, {{ task_key_from_text('description') }}
        ) as task_key,
        owner_id,
        subject,
        activity_date as due_date,
        created_at,
        modified_at,
        not is_closed and not is_deleted as is_open
    from salesforce_tasks
    left join task_writes
        on task_writes.crm = 'salesforce'
        and salesforce_tasks.task_id = task_writes.crm_task_id

    union all

    select
        'hubspot' as crm,
        task_id as crm_task_id,
        first_company_id as crm_account_id,
        coalesce(
            nullif(trim(cadence_task_key), ''), task_writes.task_key, {{ task_key_from_text('body') }}
        ) as task_key,
        owner_id,
        subject,
        due_date,
        created_at,
        modified_at,
        coalesce(status, '') <> 'COMPLETED' and not is_deleted as is_open
    from hubspot_tasks
    left join task_writes
        on task_writes.crm = 'hubspot'
        and hubspot_tasks.task_id = task_writes.crm_task_id
),

with_account as (
    select
        *,
        {#- a task whose account link is missing still names its account in its key -#}
        coalesce(crm_account_id, {{ dbt.split_part('task_key', "':'", 2) }}) as account_id
    from keyed
    where task_key is not null
),

final as (
    select
        crm,
        crm_task_id,
        {{ account_key('crm', 'account_id') }} as account_key,
        account_id as crm_account_id,
        task_key,
        owner_id,
        subject,
        due_date,
        created_at,
        {#- when it was last changed: for a closed task, when it was completed (or deleted) unless
            edited since (docs/date-guards.md) -#}
        {{ local_date('modified_at') }} as modified_date,
        is_open
    from with_account
)

select * from final
