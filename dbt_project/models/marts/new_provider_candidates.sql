{#- Practice locations not in the CRM, inside a rep's territory, ranked per rep by referrer count
    (issue 15: the waterfall's intake of new prospects). A location qualifies by the primary taxonomy of
    an organisation practising there (var registry_hospital_taxonomies, registry_snf_taxonomies,
    registry_group_taxonomies, in that order of precedence), or, with no such organisation, as a
    'practice' when at least one individual there may refer (referrer_count > 0). Deactivated NPIs
    are out (int_registry_providers). A rep's territory: var registry_territories ("crm:owner_id" ->
    ZIP prefixes) when set, else the ZIP5s (registry_territory_zip_digits 5) or ZIP3s (3) of the rep's
    in-scope accounts. A location in two territories is a candidate of both reps. -#}
{%- set explicit = var('registry_territories') -%}
{%- set digits = var('registry_territory_zip_digits') | int -%}
with

locations as (
    select * from {{ ref('practice_locations') }}
    where not is_in_crm
),

providers as (
    select * from {{ ref('int_registry_providers') }}
),

owners as (
    select * from {{ ref('int_owners') }}
),

kinds as (
    select
        location_key,
        min(case
            when primary_taxonomy_code in ({{ sql_list(var('registry_hospital_taxonomies')) }}) then 1
            when primary_taxonomy_code in ({{ sql_list(var('registry_snf_taxonomies')) }}) then 2
            when primary_taxonomy_code in ({{ sql_list(var('registry_group_taxonomies')) }}) then 3
        end) as kind_rank,
        {{ dbt.listagg("npi", "','", "order by npi") }} as organization_npis
    from providers
    where entity_type = 'organization'
    group by location_key
),

candidates as (
    select
        locations.*,
        case kinds.kind_rank
            when 1 then 'hospital'
            when 2 then 'snf'
            when 3 then 'physician_group'
            else case when locations.referrer_count > 0 then 'practice' end
        end as candidate_kind,
        kinds.organization_npis
    from locations
    left join kinds
        on locations.location_key = kinds.location_key
),

territories as (
    {%- if explicit %}
    {%- for owner_key, prefixes in explicit.items() %}
    {%- set outer_last = loop.last %}
    {%- for prefix in prefixes %}
    select {{ dbt.string_literal(owner_key) }} as owner_key, {{ dbt.string_literal(prefix) }} as zip_prefix
    {{- "\n    union all" if not (outer_last and loop.last) }}
    {%- endfor %}
    {%- endfor %}
    {%- else %}
    select distinct
        {{ dbt.concat(["crm", "':'", "owner_id"]) }} as owner_key,
        left(zip5, {{ digits }}) as zip_prefix
    from {{ ref('int_crm_locations') }}
    where is_in_scope
        and owner_id is not null
        and zip5 is not null
    {%- endif %}
),

in_territory as (
    select distinct
        territories.owner_key,
        candidates.location_key
    from candidates
    inner join territories
        on candidates.zip5 like {{ dbt.concat(["territories.zip_prefix", "'%'"]) }}
    where candidates.candidate_kind is not null
),

final as (
    select
        owners.crm,
        owners.owner_id,
        owners.owner_name,
        row_number() over (
            partition by in_territory.owner_key
            order by candidates.referrer_count desc, candidates.individual_count desc, candidates.location_key
        ) as candidate_rank,
        candidates.location_key,
        candidates.location_name,
        candidates.candidate_kind,
        candidates.address_line_1,
        candidates.city,
        candidates.state,
        candidates.zip5,
        candidates.organization_npis,
        candidates.individual_count,
        candidates.referrer_count,
        candidates.taxonomy_mix
    from in_territory
    inner join candidates
        on in_territory.location_key = candidates.location_key
    inner join owners
        on in_territory.owner_key = {{ dbt.concat(["owners.crm", "':'", "owners.owner_id"]) }}
    where owners.is_active  -- a deactivated user / archived owner prospects no more
)

select * from final
