{#- One row per (meeting or deal, associated contact), unnested from the comma-separated contact_ids:
    who was met at a meeting, who referred a deal. -#}
with

meetings as (
    select 'meeting' as object_type, meeting_id as object_id, contact_ids
    from {{ ref('stg_hubspot__meetings') }}
),

deals as (
    select 'deal' as object_type, deal_id as object_id, contact_ids
    from {{ ref('stg_hubspot__deals') }}
),

associated as (
    select * from meetings
    union all
    select * from deals
)

{{ unnest_id_list('contact_ids', 'contact_id') }}
