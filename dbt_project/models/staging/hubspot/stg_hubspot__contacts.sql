with

source as (
    select * from {{ source_or_empty('hubspot', 'contacts') }}
),

renamed as (
    select
        id as contact_id,
        firstname as first_name,
        lastname as last_name,
        jobtitle as job_title,
        email,
        npi,
        company_ids,
        createdate as created_at,
        {{ local_date('createdate') }} as created_date,
        hs_lastmodifieddate as modified_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from renamed
