{#- What counts as a visit, in one place: int_visits counts these records, int_visit_attendees takes
    their attendees. -#}
{% macro salesforce_visit_events() -%}
    (
        select * from {{ ref('stg_salesforce__events') }}
        where not is_deleted
            and rejection_reason is null  -- dated outside the sane window: int_rejected_records
            and event_type in ({{ sql_list(var('salesforce_visit_event_types')) }})
    ) as salesforce_visit_events  {#- PostgreSQL requires a subquery's alias #}
{%- endmacro %}

{% macro hubspot_visit_meetings() -%}
    (
        select * from {{ ref('stg_hubspot__meetings') }}
        where not is_deleted
            and rejection_reason is null  -- dated outside the sane window: int_rejected_records
            and coalesce(meeting_outcome, '') not in ({{ sql_list(var('hubspot_excluded_meeting_outcomes')) }})
    ) as hubspot_visit_meetings
{%- endmacro %}
