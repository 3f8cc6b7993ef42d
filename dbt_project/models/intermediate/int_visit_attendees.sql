{#- Who was met: one row per (account, visit day, contact) of the visits int_visits counts.
    Salesforce: an Event's WhoId and its EventRelation people (invitees, and with Shared Activities
    its related contacts; not its What), when they are live contacts. HubSpot: a meeting's associated
    contacts. One contact at several visit records of one day (an Event's WhoId and its own
    EventRelation row, two meetings) is one row: a visit day is a visit, as in int_visits.
    The CRMs do not record attendance: an invitee counts as met. -#}
with

salesforce_events as (
    select * from {{ salesforce_visit_events() }}  -- macros/visit_filters.sql
),

event_relations as (
    select * from {{ ref('stg_salesforce__event_relations') }}
    where not is_deleted and not is_what
),

salesforce_contacts as (
    select contact_id from {{ ref('stg_salesforce__contacts') }}
    where not is_deleted
),

hubspot_meetings as (
    select * from {{ hubspot_visit_meetings() }}  -- macros/visit_filters.sql
),

hubspot_meeting_companies as (
    select * from {{ ref('stg_hubspot__company_associations') }}
    where object_type = 'meeting'
),

hubspot_meeting_contacts as (
    select * from {{ ref('stg_hubspot__contact_associations') }}
    where object_type = 'meeting'
),

hubspot_contacts as (
    select contact_id from {{ ref('stg_hubspot__contacts') }}
    where not is_deleted
),

visits as (
    select * from {{ ref('int_visits') }}
),

salesforce_people as (
    select event_id, who_id as contact_id from salesforce_events where who_id is not null
    union all
    select event_id, relation_id as contact_id from event_relations
),

attendee_records as (
    select
        'salesforce' as crm,
        {{ salesforce_account_of_activity('salesforce_events.account_id', 'salesforce_events.what_id') }}
            as crm_account_id,
        coalesce(salesforce_events.activity_date, salesforce_events.start_date) as visit_date,
        salesforce_people.contact_id
    from salesforce_events
    inner join salesforce_people on salesforce_events.event_id = salesforce_people.event_id
    inner join salesforce_contacts on salesforce_people.contact_id = salesforce_contacts.contact_id

    union all

    select
        'hubspot' as crm,
        hubspot_meeting_companies.company_id as crm_account_id,
        coalesce(hubspot_meetings.start_date, hubspot_meetings.activity_date) as visit_date,
        hubspot_meeting_contacts.contact_id
    from hubspot_meetings
    inner join hubspot_meeting_companies
        on hubspot_meetings.meeting_id = hubspot_meeting_companies.object_id
    inner join hubspot_meeting_contacts
        on hubspot_meetings.meeting_id = hubspot_meeting_contacts.object_id
    inner join hubspot_contacts on hubspot_meeting_contacts.contact_id = hubspot_contacts.contact_id
),

final as (
    select distinct
        visits.account_key,
        visits.crm,
        visits.crm_account_id,
        visits.visit_date,
        attendee_records.contact_id,
        visits.is_planned
    from attendee_records
    inner join visits
        on attendee_records.crm = visits.crm
        and attendee_records.crm_account_id = visits.crm_account_id
        and attendee_records.visit_date = visits.visit_date
)

select * from final
