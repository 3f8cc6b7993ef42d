{#- Visit dates after the as-of date: planned, not done. -#}
with

visits as (
    select * from {{ ref('int_visits') }}
),

final as (
    select
        account_key,
        crm,
        crm_account_id,
        visit_date as planned_visit_date
    from visits
    where is_planned
)

select * from final
