{#- What counts as a visit, in one place: int_visits counts these records, int_visit_attendees takes
    their attendees. -#}
{% macro salesforce_visit_events() -%}
    (
        select * from {{ ref('stg_salesforce__events') }}
        where not is_deleted
            and rejection_reason is null  -- dated outside the sane window: int_rejected_records
            and event_type in ({{ sql_list(var('salesforce_visit_event_types')) }})
    )
{%- endmacro %}

{% macro hubspot_visit_meetings() -%}
    (
        select * from {{ ref('stg_hubspot__meetings') }}
        where not is_deleted
            and rejection_reason is null  -- dated outside the sane window: int_rejected_records
            and coalesce(meeting_outcome, '') not in ({{ sql_list(var('hubspot_excluded_meeting_outcomes')) }})
    )
{%- endmacro %}

{#- Who can refer: the title matches one of var('referrer_title_patterns') (SQL ILIKE, case-insensitive);
    no patterns: everyone. A null title matches no pattern. -#}
{% macro is_referrer_title(title_column) -%}
    {%- set patterns = var('referrer_title_patterns', []) -%}
    {%- if patterns | length == 0 -%}
        true
    {%- else -%}
        coalesce(
        {%- for pattern in patterns %}
            {{ title_column }} ilike {{ dbt.string_literal(pattern) }}{{ " or" if not loop.last }}
        {%- endfor %}
        , false)
    {%- endif -%}
{%- endmacro %}
