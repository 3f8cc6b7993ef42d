{#- Is each referral source growing or slipping (issue 14)? The referrals of the last trend_window_days
    against the window before it, per in-scope account; thresholds are rules (docs/rules.md). -#}
with

potential as (
    select * from {{ ref('int_account_potential') }}
),

referrals as (
    select * from {{ ref('int_referrals') }}
),

windows as (
    select
        account_key,
        count(distinct case
            when {{ in_trailing_window('referral_date', var('trend_window_days')) }} then referral_id
        end) as referrals_last_90d,
        -- The window before it: as_of − 2W < date <= as_of − W.
        count(distinct case
            when {{ in_trailing_window('referral_date', 2 * var('trend_window_days')) }}
                and not {{ in_trailing_window('referral_date', var('trend_window_days')) }} then referral_id
        end) as referrals_prior_90d
    from referrals
    group by 1
),

counted as (
    select
        potential.account_key,
        potential.owner_id,
        coalesce(windows.referrals_last_90d, 0) as referrals_last_90d,
        coalesce(windows.referrals_prior_90d, 0) as referrals_prior_90d,
        potential.referrals_12m
    from potential
    left join windows on potential.account_key = windows.account_key
),

final as (
    select
        account_key,
        owner_id,
        referrals_last_90d,
        referrals_prior_90d,
        referrals_12m,
        case
            when referrals_last_90d = 0 and referrals_prior_90d = 0 then 'none'
            when referrals_prior_90d = 0 then 'new'
            when referrals_last_90d = 0 then 'lapsed'
            when referrals_last_90d < {{ var('trend_slipping_ratio') }} * referrals_prior_90d then 'slipping'
            when referrals_last_90d >= {{ var('trend_growing_ratio') }} * referrals_prior_90d then 'growing'
            else 'steady'
        end as trend
    from counted
)

select * from final
