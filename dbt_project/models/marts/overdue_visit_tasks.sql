{#- The writeback queue. 'create': an overdue account with an owner who can act (an active user, else
    the rules' fallback owner; a task needs someone to nag, and accounts without one are reported by the
    quality suite), without a planned visit within the grace
    period, without an open task of this pipeline and without a record in quarantine
    (int_rejected_records). 'close': an open task of this pipeline whose
    account is no longer overdue (visited, or out of scope), or a duplicate: a second open task with
    the same key (an earlier version resent a create, or someone copied the task), of which the oldest
    is kept. Other tasks are never touched. -#}
with

accounts as (
    select * from {{ ref('account_cadence') }}
),

open_pipeline_tasks as (
    select
        *,
        row_number() over (
            partition by crm, task_key
            order by created_at nulls last, length(crm_task_id), crm_task_id
        ) > 1 as is_duplicate
    from {{ ref('int_pipeline_tasks') }}
    where is_open
),

overdue_accounts as (
    select
        *,
        -- The rep who gets the task: the owner if they can act, else the rules' fallback (or nobody).
        case when owner_is_active then owner_id else {{ fallback_owner_id('crm') }} end as task_owner_id
    from accounts
    where is_overdue
),

-- A record in quarantine (a value that cannot be typed or is out of range) leaves its account's
-- cadence unknown: no task until the CRM's copy is fixed.
quarantined_accounts as (
    select distinct account_key
    from {{ ref('int_rejected_records') }}
    where account_key is not null
),

accounts_with_open_task as (
    select distinct account_key
    from open_pipeline_tasks
    where account_key is not null
),

to_create as (
    select
        {{ dbt.concat(['overdue_accounts.crm', "':'", 'overdue_accounts.crm_account_id', "':'",
            'cast(overdue_accounts.next_visit_due as ' ~ dbt.type_string() ~ ')']) }} as task_key,
        'create' as action,
        overdue_accounts.crm,
        overdue_accounts.crm_account_id,
        overdue_accounts.account_key,
        overdue_accounts.task_owner_id as owner_id,
        {{ dbt.concat(["'Overdue visit: '", 'overdue_accounts.account_name']) }} as subject,
        {{ as_of_date() }} as due_date,
        overdue_accounts.days_overdue,
        case
            when overdue_accounts.days_overdue >= overdue_accounts.cadence_days then 'High'
            else 'Normal'
        end as priority,
        cast(null as {{ dbt.type_string() }}) as crm_task_id,
        false as is_duplicate
    from overdue_accounts
    left join accounts_with_open_task
        on overdue_accounts.account_key = accounts_with_open_task.account_key
    left join quarantined_accounts
        on overdue_accounts.account_key = quarantined_accounts.account_key
    where accounts_with_open_task.account_key is null
        and quarantined_accounts.account_key is null
        and overdue_accounts.task_owner_id is not null
        and coalesce(
            overdue_accounts.next_planned_visit_date
                > {{ add_days(var('planned_visit_grace_days'), as_of_date()) }},
            true
        )
),

to_close as (
    select
        open_pipeline_tasks.task_key,
        'close' as action,
        open_pipeline_tasks.crm,
        open_pipeline_tasks.crm_account_id,
        open_pipeline_tasks.account_key,
        open_pipeline_tasks.owner_id,
        open_pipeline_tasks.subject,
        {{ as_of_date() }} as due_date,
        accounts.days_overdue,
        'Normal' as priority,
        open_pipeline_tasks.crm_task_id,
        open_pipeline_tasks.is_duplicate
    from open_pipeline_tasks
    left join accounts on open_pipeline_tasks.account_key = accounts.account_key
    where not coalesce(accounts.is_overdue, false) or open_pipeline_tasks.is_duplicate
),

final as (
    select * from to_create
    union all
    select * from to_close
)

select * from final
