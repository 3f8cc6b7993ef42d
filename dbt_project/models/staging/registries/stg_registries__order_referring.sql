with

source as (
    select * from {{ source_or_empty('registries', 'order_referring') }}
),

renamed as (
    select
        npi,
        last_name,
        first_name,
        partb,
        dme,
        hha,
        pmd,
        hospice
    from source
)

select * from renamed
