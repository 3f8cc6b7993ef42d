with

prospects as (
    select * from {{ ref('prospect_progression') }}
    where cohort_month is not null
        and owner_id is not null
),

final as (
    select
        owner_id,
        cohort_month,
        count(*) as prospects_started,
        {%- for visit_number in range(2, 6) %}
        sum(case when visit_count >= {{ visit_number }} then 1 else 0 end) as reached_visit_{{ visit_number }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from prospects
    group by 1, 2
)

select * from final
