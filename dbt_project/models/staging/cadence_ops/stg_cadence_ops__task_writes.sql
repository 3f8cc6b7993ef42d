{#- The tasks the pipeline created, by CRM task id (the ledger's latest settled create of each). -#}
with

source as (
    select * from {{ source_or_empty('cadence_ops', 'writeback_ledger') }}
),

settled_creates as (
    select
        crm,
        crm_task_id,
        task_key,
        recorded_at
    from source
    where action = 'create'
        and outcome in ('created', 'reconciled')
        and crm_task_id is not null
),

-- A window filter without QUALIFY (DuckDB has it, PostgreSQL does not): the same SQL on both engines.
ranked as (
    select
        *,
        row_number() over (partition by crm, crm_task_id order by recorded_at desc, task_key) as recency
    from settled_creates
),

final as (
    select
        crm,
        crm_task_id,
        task_key
    from ranked
    where recency = 1
)

select * from final
