with

accounts as (
    select * from {{ ref('account_cadence') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_planned
),

sequenced as (
    select
        visits.account_key,
        visits.visit_date,
        row_number() over (partition by visits.account_key order by visits.visit_date) as visit_number,
        lag(visits.visit_date) over (partition by visits.account_key order by visits.visit_date)
            as previous_visit_date,
        accounts.cadence_days
    from visits
    inner join accounts on visits.account_key = accounts.account_key
),

final as (
    select
        account_key,
        visit_date,
        visit_number,
        previous_visit_date,
        {{ days_between('previous_visit_date', 'visit_date') }} as gap_days,
        cadence_days,
        {{ days_between('previous_visit_date', 'visit_date') }} <= cadence_days as within_cadence
    from sequenced
)

select * from final
