{#- Practice locations from the NPPES registry (issue 15): one row per normalised street line + ZIP5
    where at least one active provider practises, with how many individuals work there, how many of
    them may order the configured service line (Order and Referring), the taxonomy mix, and the CRM
    account the location matches, if any (best evidence of int_registry_matches, else an account at
    that very address: method 'address', 0.60). Empty when no registry is loaded. -#}
with

providers as (
    select * from {{ ref('int_registry_providers') }}
),

matches as (
    select * from {{ ref('int_registry_matches') }}
),

crm_locations as (
    select * from {{ ref('int_crm_locations') }}
    where location_key is not null
),

locations as (
    select
        location_key,
        min(address_line_1) as address_line_1,
        min(city) as city,
        min(state) as state,
        min(zip5) as zip5,
        sum(case when entity_type = 'organization' then 1 else 0 end) as organization_count,
        sum(case when entity_type = 'individual' then 1 else 0 end) as individual_count,
        sum(case when is_referrer then 1 else 0 end) as referrer_count
    from providers
    group by location_key
),

-- The location's name: its organisation with the lowest NPI (NPIs are assigned in sequence: the oldest).
named as (
    select
        location_key,
        provider_name as location_name,
        row_number() over (partition by location_key order by npi) as name_rank
    from providers
    where entity_type = 'organization'
),

taxonomy_counts as (
    select location_key, primary_taxonomy_code, count(*) as providers
    from providers
    where primary_taxonomy_code is not null
    group by location_key, primary_taxonomy_code
),

taxonomy_mix as (
    select
        location_key,
        {{ dbt.listagg(dbt.concat(["primary_taxonomy_code", "':'", "cast(providers as varchar)"]), "', '",
            "order by providers desc, primary_taxonomy_code") }} as taxonomy_mix
    from taxonomy_counts
    group by location_key
),

evidence as (
    select providers.location_key, matches.account_key, matches.match_method, matches.match_confidence
    from providers
    inner join matches on providers.npi = matches.npi

    union all

    select location_key, account_key, 'address', 0.60
    from crm_locations
),

ranked_evidence as (
    select
        location_key,
        account_key,
        match_method,
        match_confidence,
        row_number() over (
            partition by location_key order by match_confidence desc, account_key
        ) as evidence_rank
    from evidence
),

final as (
    select
        locations.location_key,
        named.location_name,
        locations.address_line_1,
        locations.city,
        locations.state,
        locations.zip5,
        locations.organization_count,
        locations.individual_count,
        locations.referrer_count,
        taxonomy_mix.taxonomy_mix,
        ranked_evidence.account_key,
        ranked_evidence.match_method,
        ranked_evidence.match_confidence,
        ranked_evidence.account_key is not null as is_in_crm
    from locations
    left join named
        on locations.location_key = named.location_key
        and named.name_rank = 1
    left join taxonomy_mix
        on locations.location_key = taxonomy_mix.location_key
    left join ranked_evidence
        on locations.location_key = ranked_evidence.location_key
        and ranked_evidence.evidence_rank = 1
)

select * from final
