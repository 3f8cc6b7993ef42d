with

source as (
    select * from {{ source_or_empty('salesforce', 'opportunity') }}
),

renamed as (
    select
        id as opportunity_id,
        account_id,
        name as opportunity_name,
        stage_name,
        created_date as created_at,
        {{ local_date('created_date') }} as created_date,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
)

select * from renamed
