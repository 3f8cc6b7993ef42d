{#- Event invitees and (Shared Activities) related records: who else was at an event. -#}
with

source as (
    select * from {{ source_or_empty('salesforce', 'event_relation') }}
),

renamed as (
    select
        id as event_relation_id,
        event_id,
        relation_id,
        coalesce(is_invitee, false) as is_invitee,
        coalesce(is_parent, false) as is_parent,
        coalesce(is_what, false) as is_what,
        created_date as created_at,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
)

select * from renamed
