{#- Whom the rep really meets: one row per referrer (int_referrers) of an in-scope account. A contact's
    visits are the past visit days it was met on (int_visit_attendees), at whichever account of its CRM
    the visit was logged; its referrals are those naming it (int_referrals_by_contact). -#}
with

accounts as (
    select * from {{ ref('account_cadence') }}
),

referrers as (
    select * from {{ ref('int_referrers') }}
),

attendees as (
    select * from {{ ref('int_visit_attendees') }}
    where not is_planned
),

referrals as (
    select * from {{ ref('int_referrals_by_contact') }}
),

met as (
    select
        crm,
        contact_id,
        count(distinct visit_date) as visits_met,
        min(visit_date) as first_met_date,
        max(visit_date) as last_met_date
    from attendees
    group by 1, 2
),

referred as (
    select crm, contact_id, count(distinct referral_id) as referrals_12m
    from referrals
    where {{ in_trailing_window('referral_date', var('referral_window_days')) }}
    group by 1, 2
),

final as (
    select
        {{ account_key('referrers.crm', 'referrers.contact_id') }} as contact_key,
        accounts.account_key,
        accounts.owner_id,
        referrers.contact_name,
        referrers.title,
        coalesce(met.visits_met, 0) as visits_met,
        met.first_met_date,
        met.last_met_date,
        {{ days_between('met.last_met_date', as_of_date()) }} as days_since_met,
        met.contact_id is null as never_met,
        coalesce({{ in_trailing_window('met.last_met_date', var('share_window_days')) }}, false)
            as met_in_share_window,
        coalesce(referred.referrals_12m, 0) as referrals_12m
    from referrers
    inner join accounts on referrers.account_key = accounts.account_key
    left join met
        on referrers.crm = met.crm
        and referrers.contact_id = met.contact_id
    left join referred
        on referrers.crm = referred.crm
        and referrers.contact_id = referred.contact_id
)

select * from final
