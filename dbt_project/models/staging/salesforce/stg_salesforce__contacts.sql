with

source as (
    select * from {{ source_or_empty('salesforce', 'contact') }}
),

renamed as (
    select
        id as contact_id,
        account_id,
        name as contact_name,
        title,
        first_name,
        last_name,
        npi_c as npi,
        created_date as created_at,
        {{ local_date('created_date') }} as created_date,
        system_modstamp as modified_at,
        coalesce(is_deleted, false) as is_deleted
    from source
)

select * from renamed
