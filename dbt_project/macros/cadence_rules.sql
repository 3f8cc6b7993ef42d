{#- 'active' / 'prospect' / 'out_of_scope' from a CRM status column and the two value lists. -#}
{% macro account_status(column, active_values, prospect_values) -%}
    case
        when {{ column }} in ({{ sql_list(active_values) }}) then 'active'
        when {{ column }} in ({{ sql_list(prospect_values) }}) then 'prospect'
        else 'out_of_scope'
    end
{%- endmacro %}

{#- A list var rendered as a SQL list of string literals. -#}
{% macro sql_list(values) -%}
    {%- for value in values -%}
        {{ dbt.string_literal(value) }}{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- account_key = crm || ':' || crm_account_id -#}
{% macro account_key(crm_column, account_id_column) -%}
    {{ dbt.concat([crm_column, "':'", account_id_column]) }}
{%- endmacro %}

{#- The task key this pipeline stamps on a line of a task's text, 'cadence-task-key: <task_key>'
    (null when absent). It is written as the last line, but a rep may add a note below it. -#}
{% macro task_key_from_text(text_column) -%}
    {{ return(adapter.dispatch('task_key_from_text', 'cadence')(text_column)) }}
{%- endmacro %}

{% macro default__task_key_from_text(text_column) -%}
    nullif(substring({{ text_column }} from '(?:^|\n)\s*cadence-task-key:\s*(\S+)'), '')
{%- endmacro %}

{% macro duckdb__task_key_from_text(text_column) -%}
    nullif(regexp_extract({{ text_column }}, '(?:^|\n)\s*cadence-task-key:\s*(\S+)', 1), '')
{%- endmacro %}

{#- Salesforce: the account of an Event/Task is AccountId, else WhatId when it is an Account id. -#}
{% macro salesforce_account_of_activity(account_id_column, what_id_column) -%}
    coalesce(
        {{ account_id_column }},
        case
            when {{ what_id_column }} like '{{ var("salesforce_account_id_prefix") }}%'
                then {{ what_id_column }}
        end
    )
{%- endmacro %}

{#- part / whole as a float, 0 when the whole is 0 or null. -#}
{% macro share(part, whole) -%}
    case
        when coalesce({{ whole }}, 0) = 0 then 0.0
        else {{ ratio(part, whole) }}
    end
{%- endmacro %}

{#- The rules' fallback owner of each CRM (salesforce_fallback_owner_id, hubspot_fallback_owner_id), or
    null: who gets the task of an account whose owner cannot act. -#}
{% macro fallback_owner_id(crm_column) -%}
    case {{ crm_column }}
        {%- for crm in ['salesforce', 'hubspot'] %}
        {%- set owner = var(crm ~ '_fallback_owner_id', none) %}
        when '{{ crm }}' then {% if owner %}{{ dbt.string_literal(owner) }}{% else %}cast(null as {{ dbt.type_string() }}){% endif %}
        {%- endfor %}
    end
{%- endmacro %}

{#- Quarantine (issue 18): why a cadence override is rejected, null when it is acceptable.
    Zero or less keeps meaning "no override" (the status default applies). -#}
{% macro cadence_override_rejection(column) -%}
    case
        when {{ column }} > {{ var('max_cadence_days') }}
            then 'cadence days above max_cadence_days ({{ var("max_cadence_days") }})'
    end
{%- endmacro %}

{#- Why a visit date is rejected (outside the sane window of the rules), null when it is acceptable. -#}
{% macro visit_date_rejection(date_column) -%}
    case
        when {{ date_column }} < cast('{{ var("earliest_visit_year") }}-01-01' as date)
            then 'visit date before {{ var("earliest_visit_year") }} (earliest_visit_year)'
        when {{ date_column }} > {{ add_days(var('max_visit_days_ahead'), as_of_date()) }}
            then 'visit date more than {{ var("max_visit_days_ahead") }} days after the as-of date (max_visit_days_ahead)'
    end
{%- endmacro %}
