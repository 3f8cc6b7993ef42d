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
),

unnested as (
    select
        object_type,
        object_id,
        trim(unnest(string_split(contact_ids, ','))) as contact_id
    from associated
    where contact_ids is not null and contact_ids <> ''
)

select distinct object_type, object_id, contact_id
from unnested
where contact_id <> ''
