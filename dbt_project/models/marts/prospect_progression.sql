{%- set graduation = var('graduation_visits') -%}
with

prospects as (
    select * from {{ ref('account_cadence') }}
    where status = 'prospect'
),

graduation_visits as (
    select
        account_key,
        visit_date as fifth_visit_date
    from {{ ref('visit_gaps') }}
    where visit_number = {{ graduation }}
),

final as (
    select
        prospects.account_key,
        prospects.owner_id,
        prospects.first_visit_date,
        {{ month_start('prospects.first_visit_date') }} as cohort_month,
        prospects.visit_count,
        case
            when prospects.visit_count >= {{ graduation }} then {{ graduation }}
            else prospects.visit_count
        end as stage,
        graduation_visits.fifth_visit_date,
        prospects.visit_count >= {{ graduation }} as ready_to_reclassify,
        prospects.visit_count >= 1
            and prospects.visit_count < {{ graduation }}
            and prospects.is_overdue as stalled,
        prospects.is_overdue
    from prospects
    left join graduation_visits on prospects.account_key = graduation_visits.account_key
)

select * from final
