{#- What the salesforce sync quarantined (ingest/quarantine.py): one row per sighting of a rejected value. -#}
with

source as (
    select * from {{ source_or_empty('salesforce', 'rejected_records') }}
),

renamed as (
    select
        'salesforce' as crm,
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
