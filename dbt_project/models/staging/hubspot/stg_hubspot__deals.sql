with

source as (
    select * from {{ source_or_empty('hubspot', 'deals') }}
),

renamed as (
    select
        id as deal_id,
        dealname as deal_name,
        dealstage as deal_stage,
        company_ids,
        contact_ids,
        createdate as created_at,
        {{ local_date('createdate') }} as created_date,
        hs_lastmodifieddate as modified_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from renamed
