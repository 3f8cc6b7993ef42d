{#- The CRM tasks this pipeline closed (or was closing when a run died), one row per task: a closed
    pipeline task not listed here was completed or deleted by a person (docs/date-guards.md). -#}
with

source as (
    select * from {{ source_or_empty('cadence_ops', 'writeback_ledger') }}
),

pipeline_closes as (
    select distinct
        crm,
        crm_task_id
    from source
    where action = 'close'
        and outcome in ('closed', 'pending')
        and crm_task_id is not null
),

final as (
    select * from pipeline_closes
)

select * from final
