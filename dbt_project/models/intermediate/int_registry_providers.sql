{#- A table, not a view: the matching keys' regular expressions run once per build over the ~9M NPPES
    rows, not once per model that reads them. -#}
{{ config(materialized='table') }}
{#- The active NPPES providers with a practice location, and whether each may order or refer for the
    configured service line (var registry_service_line: HHA, HOSPICE or DME, per Order and Referring). -#}
with

providers as (
    select * from {{ ref('stg_registries__providers') }}
    where not is_deactivated
        and location_key is not null
        and entity_type is not null
),

order_referring as (
    select * from {{ ref('stg_registries__order_referring') }}
),

final as (
    select
        providers.npi,
        providers.entity_type,
        providers.provider_name,
        providers.name_key,
        providers.address_line_1,
        providers.city,
        providers.state,
        providers.zip5,
        providers.location_key,
        providers.taxonomy_codes,
        providers.primary_taxonomy_code,
        providers.entity_type = 'individual'
            and coalesce(order_referring.{{ var('registry_service_line') | lower }}, false) as is_referrer
    from providers
    left join order_referring
        on providers.npi = order_referring.npi
)

select * from final
