{#- Why an overdue account matters, for its task (issue 14): the referral trend, whether it is in the
    owner's top potential tier (priority rule), and who at the account can refer and when the rep last
    met each (marts.referrer_coverage). One row per in-scope account. -#}
{%- set names_shown = 5 -%}  {#- a task lists this many referrers by name; the count says the rest -#}
with

trend as (
    select * from {{ ref('referral_trend') }}
),

potential as (
    select * from {{ ref('int_account_potential') }}
),

coverage as (
    select * from {{ ref('referrer_coverage') }}
),

labelled as (
    select
        account_key,
        {{ dbt.concat([
            "coalesce(nullif(trim(contact_name), ''), " ~ dbt.concat(["'contact '", 'contact_key']) ~ ")",
            "coalesce(' (' || nullif(trim(title), '') || ')', '')",
            "case when never_met then ', never met' else " ~ dbt.concat([
                "', last met '", 'cast(last_met_date as ' ~ dbt.type_string() ~ ')']) ~ " end",
        ]) }} as label
    from coverage
),

numbered as (
    select
        *,
        row_number() over (partition by account_key order by label) as position
    from labelled
),

summaries as (
    select
        account_key,
        {{ dbt.listagg('label', "'; '", 'order by label') }} as referrers_summary
    from numbered
    where position <= {{ names_shown }}
    group by 1
),

final as (
    select
        potential.account_key,
        trend.trend,
        {{ dbt.concat([
            'cast(trend.referrals_last_90d as ' ~ dbt.type_string() ~ ')',
            "' in the last " ~ var('trend_window_days') ~ " days, '",
            'cast(trend.referrals_prior_90d as ' ~ dbt.type_string() ~ ')',
            "' in the " ~ var('trend_window_days') ~ " days before ('", 'trend.trend', "'), '",
            'cast(trend.referrals_12m as ' ~ dbt.type_string() ~ ')',
            "' in the last " ~ var('referral_window_days') ~ " days'",
        ]) }} as trend_summary,
        {{ potential_in_top_share(var('priority_high_top_potential_share')) }} as is_top_potential,
        potential.referrer_count,
        case
            when potential.referrer_count > {{ names_shown }} then {{ dbt.concat([
                'summaries.referrers_summary', "'; and '",
                'cast(potential.referrer_count - ' ~ names_shown ~ ' as ' ~ dbt.type_string() ~ ')', "' more'",
            ]) }}
            else summaries.referrers_summary
        end as referrers_summary
    from potential
    left join trend on potential.account_key = trend.account_key
    left join summaries on potential.account_key = summaries.account_key
)

select * from final
