{#- Marketing's list (issue 15 item 6): per rep, the top var('marketing_top_n') places by referral
    potential, the rep's existing in-scope accounts and the registry's new-provider candidates ranked
    together, so marketing sees both the book and where it could grow.

    A territory is a rep, i.e. a person across CRMs (rep_people, person_key): Dana's Salesforce and
    HubSpot books are one list. Candidates come from new_provider_candidates, whose territories follow
    the rep's account ZIPs or the registry_territories map (its "crm:owner_id" keys are owner records,
    each of one person); a location that is a candidate of two owner records of one person is listed
    once (its Salesforce owner record first).

    Potential is comparable on both sides because it counts the same thing: people there who can send
    a referral. An account's is referral_potential.potential_score (its referrers in the CRM); a
    candidate's is its referrer_count (individuals there eligible for registry_service_line in CMS
    Order and Referring). Ties: an existing account before a candidate (a relationship to build on),
    then more referrals in 12 months, then name and key, so the rank is total and stable. -#}
with

accounts as (
    select * from {{ ref('account_cadence') }}
),

books as (
    select * from {{ ref('rep_accounts') }}
),

potential as (
    select * from {{ ref('referral_potential') }}
),

trends as (
    select * from {{ ref('referral_trend') }}
),

crm_locations as (
    select * from {{ ref('int_crm_locations') }}
),

registry_locations as (
    select * from {{ ref('practice_locations') }}
),

candidates as (
    select * from {{ ref('new_provider_candidates') }}
),

owner_people as (
    select * from {{ ref('int_people') }}
),

people as (
    select * from {{ ref('rep_people') }}
),

account_rows as (
    select
        books.person_key,
        books.person_name,
        'account' as kind,
        accounts.status,
        accounts.account_name as name,
        crm_locations.street as address_line_1,
        -- The CRM's own city / state (Salesforce billing address), else the registry's at that location.
        coalesce(crm_locations.city, registry_locations.city) as city,
        coalesce(crm_locations.state, registry_locations.state) as state,
        crm_locations.zip5,
        potential.referrer_count,
        potential.potential_score,
        potential.coverage_share,
        trends.trend,
        potential.referrals_12m,
        cast(null as varchar) as candidate_kind,
        cast(null as bigint) as individual_count,
        accounts.crm,
        accounts.owner_id,
        accounts.owner_name,
        accounts.account_key,
        crm_locations.location_key
    from books
    inner join accounts on books.account_key = accounts.account_key
    inner join potential on books.account_key = potential.account_key
    left join trends on books.account_key = trends.account_key
    left join crm_locations on books.account_key = crm_locations.account_key
    left join registry_locations on crm_locations.location_key = registry_locations.location_key
),

candidate_people as (
    select
        candidates.*,
        coalesce(owner_people.person_key, {{ dbt.concat(["candidates.crm", "':'", "candidates.owner_id"]) }})
            as person_key,
        coalesce(people.person_name, candidates.owner_name, candidates.owner_id) as person_name
    from candidates
    left join owner_people
        on candidates.crm = owner_people.crm
        and candidates.owner_id = owner_people.owner_id
    left join people on owner_people.person_key = people.person_key
),

candidate_rows as (
    select
        person_key,
        person_name,
        'candidate' as kind,
        'candidate' as status,
        -- A location of individuals only has no organisation name: its street line names it.
        coalesce(location_name, address_line_1) as name,
        address_line_1,
        city,
        state,
        zip5,
        referrer_count,
        referrer_count as potential_score,
        cast(null as double precision) as coverage_share,
        cast(null as varchar) as trend,
        cast(null as bigint) as referrals_12m,
        candidate_kind,
        individual_count,
        crm,
        owner_id,
        owner_name,
        cast(null as varchar) as account_key,
        location_key
    -- One row per (person, location): a person's two owner records may both have the candidate (the
    -- Salesforce one is kept). A window filter, not QUALIFY: PostgreSQL has none.
    from (
        select
            *,
            row_number() over (partition by person_key, location_key order by crm desc, owner_id) as _copy
        from candidate_people
    ) as numbered
    where _copy = 1
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_key
            order by
                potential_score desc nulls last,
                case kind when 'account' then 0 else 1 end,
                referrals_12m desc nulls last,
                name,
                coalesce(account_key, location_key)
        ) as marketing_rank
    from (
        select * from account_rows
        union all
        select * from candidate_rows
    ) as places
),

final as (
    select
        person_key as territory_key,
        person_name as territory_name,
        marketing_rank,
        kind,
        status,
        name,
        address_line_1,
        city,
        state,
        zip5,
        referrer_count,
        potential_score,
        coverage_share,
        trend,
        referrals_12m,
        candidate_kind,
        individual_count,
        crm,
        owner_id,
        owner_name,
        account_key,
        location_key
    from ranked
    where marketing_rank <= {{ var('marketing_top_n') }}
)

select * from final
