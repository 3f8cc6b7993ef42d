{#- Each registry provider's CRM account, by the strongest evidence (issue 15), one row per matched NPI:
      npi                  1.00  the account's NPI__c / npi is the provider's NPI
      contact_npi          0.95  a referrer (contact) of the account carries the individual's NPI
      name_address         0.90  organisation name key, street line and ZIP5 all equal
      person_name_address  0.80  a referrer's "first last" and the account's street line + ZIP5 equal
    Keys: macros/registry_matching.sql. A tie between accounts goes to the lowest account_key. -#}
with

providers as (
    select * from {{ ref('int_registry_providers') }}
),

accounts as (
    select * from {{ ref('int_crm_locations') }}
),

contacts as (
    select * from {{ ref('int_crm_contact_identities') }}
),

evidence as (
    select providers.npi, accounts.account_key, 'npi' as match_method, 1.00 as match_confidence
    from providers
    inner join accounts on providers.npi = accounts.npi

    union all

    select providers.npi, contacts.account_key, 'contact_npi', 0.95
    from providers
    inner join contacts on providers.npi = contacts.npi
    where providers.entity_type = 'individual'

    union all

    select providers.npi, accounts.account_key, 'name_address', 0.90
    from providers
    inner join accounts
        on providers.name_key = accounts.name_key
        and providers.location_key = accounts.location_key
    where providers.entity_type = 'organization'

    union all

    select providers.npi, contacts.account_key, 'person_name_address', 0.80
    from providers
    inner join contacts on providers.name_key = contacts.person_name_key
    inner join accounts
        on contacts.account_key = accounts.account_key
        and providers.location_key = accounts.location_key
    where providers.entity_type = 'individual'
),

ranked as (
    select
        npi,
        account_key,
        match_method,
        cast(match_confidence as double precision) as match_confidence,
        row_number() over (partition by npi order by match_confidence desc, account_key) as evidence_rank
    from evidence
),

final as (
    select npi, account_key, match_method, match_confidence
    from ranked
    where evidence_rank = 1
)

select * from final
