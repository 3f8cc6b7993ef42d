{#- Every live CRM account with its registry matching keys (issue 15): its NPI (NPI__c / npi, when the
    org has the field), its name key and its practice location (street line + ZIP5). -#}
with

accounts as (
    select * from {{ ref('int_accounts') }}
),

addresses as (
    select
        'salesforce' as crm,
        account_id as crm_account_id,
        billing_street as street,
        billing_city as city,
        billing_state as state,
        billing_postal_code as postal_code,
        npi
    from {{ ref('stg_salesforce__accounts') }}

    union all

    select
        'hubspot' as crm,
        company_id as crm_account_id,
        street,
        -- HubSpot's city / state are not synced: the marketing list falls back to the registry's spelling.
        cast(null as varchar) as city,
        cast(null as varchar) as state,
        postal_code,
        npi
    from {{ ref('stg_hubspot__companies') }}
),

final as (
    select
        accounts.account_key,
        accounts.crm,
        accounts.account_name,
        accounts.owner_id,
        accounts.owner_name,
        accounts.status,
        accounts.is_in_scope,
        addresses.street,
        addresses.city,
        addresses.state,
        addresses.postal_code,
        {{ zip5('addresses.postal_code') }} as zip5,
        {{ location_key('addresses.street', 'addresses.postal_code') }} as location_key,
        {{ normalised_name('accounts.account_name') }} as name_key,
        nullif(trim(addresses.npi), '') as npi
    from accounts
    inner join addresses
        on accounts.crm = addresses.crm
        and accounts.crm_account_id = addresses.crm_account_id
)

select * from final
