{#- The staging of one CRM's quarantine table (ingest/quarantine.py): one row per sighting of a rejected
    value. Both CRMs' raw tables have the same columns, so their staging models share this body. -#}
{% macro staged_rejected_records(crm) -%}
with

source as (
    select * from {{ source_or_empty(crm, 'rejected_records') }}
),

renamed as (
    select
        {{ dbt.string_literal(crm) }} as crm,
        object as object_name,
        id as record_id,
        {{ adapter.quote('column') }} as column_name,
        value,
        reason,
        modstamp as record_modified_at,
        seen_at
    from source
)

select * from renamed
{%- endmacro %}
