{#- The writeback queue. 'create': an overdue account with an owner who can act (an active user, else
    the rules' fallback owner; a task needs someone to nag, and accounts without one are reported by the
    quality suite), without a planned visit within the grace
    period, without an open task of this pipeline and without a record in quarantine
    (int_rejected_records). 'close': an open task of this pipeline whose
    account is no longer overdue (visited, or out of scope), or a duplicate: a second open task with
    the same key (an earlier version resent a create, or someone copied the task), of which the oldest
    is kept. Other tasks are never touched.
    Keys (docs/date-guards.md): a create's key is crm:account:due, the due being the account's next
    visit due, or, when a person completed or deleted the pipeline's task and no visit followed, that
    day + cadence_days (the nag was dismissed: not renewed before the next cadence period). A key a
    task was ever created under is never used for a create again: a later create of the same due gets
    the suffix :2, :3, ... (a Salesforce upsert by key would reopen the old task). -#}
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

task_context as (
    select * from {{ ref('int_task_context') }}
),

all_pipeline_tasks as (
    select * from {{ ref('int_pipeline_tasks') }}
),

pipeline_closes as (
    select * from {{ ref('stg_cadence_ops__task_closes') }}
),

-- Every key a task of the pipeline in the CRM carries, open or not. (Not the ledger's keys: a task
-- created but not synced yet is the writeback's to settle, Ledger.created_but_not_synced; a new key
-- for it here would make a second task.)
used_keys as (
    select distinct
        crm,
        task_key,
        -- crm:account:due, the key's first three parts (CRM ids hold no ':'): the base key a create of
        -- that due would take, so the generations below are an equi-join (a join on a prefix match was
        -- a nested loop of overdue accounts x used keys: 23.9 s at 100k accounts with 28k tasks).
        {{ dbt.concat([
            dbt.split_part('task_key', "':'", 1), "':'",
            dbt.split_part('task_key', "':'", 2), "':'",
            dbt.split_part('task_key', "':'", 3),
        ]) }} as key_base
    from all_pipeline_tasks
),

-- A pipeline task a person completed or deleted (the close pass did not close it) while no visit moved
-- the account's due past the one the task nagged about: renewed cadence_days after that day.
dismissed_nags as (
    select
        all_pipeline_tasks.account_key,
        max({{ add_days('accounts.cadence_days', 'all_pipeline_tasks.modified_date') }}) as renewed_due
    from all_pipeline_tasks
    inner join accounts on all_pipeline_tasks.account_key = accounts.account_key
    left join pipeline_closes
        on all_pipeline_tasks.crm = pipeline_closes.crm
        and all_pipeline_tasks.crm_task_id = pipeline_closes.crm_task_id
    where not all_pipeline_tasks.is_open
        and pipeline_closes.crm_task_id is null
        and {{ dbt.safe_cast(dbt.split_part('all_pipeline_tasks.task_key', "':'", 3), 'date') }}
            >= accounts.next_visit_due
    group by all_pipeline_tasks.account_key
),

nag_dues as (
    select
        accounts.*,
        case
            when dismissed_nags.renewed_due > accounts.next_visit_due then dismissed_nags.renewed_due
            else accounts.next_visit_due
        end as nag_due
    from accounts
    left join dismissed_nags on accounts.account_key = dismissed_nags.account_key
    where accounts.is_overdue
),

overdue_accounts as (
    select
        *,
        -- The rep who gets the task: the owner if they can act, else the rules' fallback (or nobody).
        case when owner_is_active then owner_id else {{ fallback_owner_id('crm') }} end as task_owner_id,
        {{ dbt.concat(['crm', "':'", 'crm_account_id', "':'",
            'cast(nag_due as ' ~ dbt.type_string() ~ ')']) }} as base_key
    from nag_dues
    where {{ days_between('nag_due', as_of_date()) }} > 0
),

-- The highest generation used of the account's base key: 1 for the key itself, N for `base:N`.
key_generations as (
    select
        overdue_accounts.account_key,
        max(
            case
                when used_keys.task_key = overdue_accounts.base_key then 1
                else coalesce({{ dbt.safe_cast(
                    'substr(used_keys.task_key, length(overdue_accounts.base_key) + 2)', dbt.type_int()) }}, 1)
            end
        ) as used
    from overdue_accounts
    inner join used_keys
        on overdue_accounts.crm = used_keys.crm
        and overdue_accounts.base_key = used_keys.key_base
    group by overdue_accounts.account_key
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
        case
            when key_generations.used is null then overdue_accounts.base_key
            else {{ dbt.concat(['overdue_accounts.base_key', "':'",
                'cast(key_generations.used + 1 as ' ~ dbt.type_string() ~ ')']) }}
        end as task_key,
        'create' as action,
        overdue_accounts.crm,
        overdue_accounts.crm_account_id,
        overdue_accounts.account_key,
        overdue_accounts.task_owner_id as owner_id,
        {{ dbt.concat(["'Overdue visit: '", 'overdue_accounts.account_name']) }} as subject,
        {{ as_of_date() }} as due_date,
        overdue_accounts.days_overdue,
        case when {{ high_priority_reason() }} is null then 'Normal' else 'High' end as priority,
        cast(null as {{ dbt.type_string() }}) as crm_task_id,
        false as is_duplicate,
        {{ high_priority_reason() }} as priority_reason,
        task_context.trend,
        task_context.trend_summary,
        task_context.referrer_count,
        task_context.referrers_summary
    from overdue_accounts
    left join task_context on overdue_accounts.account_key = task_context.account_key
    left join accounts_with_open_task
        on overdue_accounts.account_key = accounts_with_open_task.account_key
    left join quarantined_accounts
        on overdue_accounts.account_key = quarantined_accounts.account_key
    left join key_generations on overdue_accounts.account_key = key_generations.account_key
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
        open_pipeline_tasks.is_duplicate,
        cast(null as {{ dbt.type_string() }}) as priority_reason,
        cast(null as {{ dbt.type_string() }}) as trend,
        cast(null as {{ dbt.type_string() }}) as trend_summary,
        cast(null as {{ dbt.type_int() }}) as referrer_count,
        cast(null as {{ dbt.type_string() }}) as referrers_summary
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
