{#- The reps of both CRMs; owner_id is the CRM's own id. -#}
with

salesforce_users as (
    select * from {{ ref('stg_salesforce__users') }}
),

hubspot_owners as (
    select * from {{ ref('stg_hubspot__owners') }}
),

unioned as (
    select
        'salesforce' as crm,
        user_id as owner_id,
        user_name as owner_name,
        email,
        is_active
    from salesforce_users

    union all

    select
        'hubspot' as crm,
        owner_id,
        owner_name,
        email,
        not is_deleted as is_active
    from hubspot_owners
)

select * from unioned
