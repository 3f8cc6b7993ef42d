{#- The cadence policy (rules: cadence_policy, docs/rules.md "Cadence policy"): an entry's conditions as
    one SQL predicate over `accounts` (int_accounts) and `potential` (int_account_potential). Every
    condition an entry names must hold; an entry naming none matches every account. -#}
{% macro cadence_policy_match(entry) -%}
    {%- set conditions = [] -%}
    {%- if entry.get('status') -%}
        {%- do conditions.append('accounts.status in (' ~ sql_list(entry['status']) ~ ')') -%}
    {%- endif -%}
    {%- if entry.get('crm_status') -%}
        {%- do conditions.append('accounts.crm_status in (' ~ sql_list(entry['crm_status']) ~ ')') -%}
    {%- endif -%}
    {%- if entry.get('potential_top_share') is not none -%}
        {%- do conditions.append(potential_in_top_share(entry['potential_top_share'])) -%}
    {%- endif -%}
    {{ conditions | join(' and ') if conditions else 'true' }}
{%- endmacro %}

{#- In the top `share` of the owner's in-scope accounts by potential: fewer than share × the book's
    accounts rank ahead of it (potential_percentile < share), and it has potential at all (a book of
    accounts without a known referrer has no top: all would tie at rank 1). share 0: never. -#}
{% macro potential_in_top_share(share, potential='potential') -%}
    ({{ potential }}.potential_score > 0 and {{ potential }}.potential_percentile < {{ share }})
{%- endmacro %}

{#- cadence_days and cadence_source: the per-account override wins over everything, then the first
    policy entry that matches, then the status default. int_accounts.cadence_days already is the
    override (when > 0) or the status default. -#}
{% macro policy_cadence(column) -%}
    case
        when accounts.cadence_days_override > 0
            then {{ 'accounts.cadence_days' if column == 'days' else "'override'" }}
        {%- for entry in var('cadence_policy', []) %}
        when {{ cadence_policy_match(entry) }}
            then {{ entry['cadence_days'] if column == 'days' else dbt.string_literal('policy:' ~ entry['name']) }}
        {%- endfor %}
        else {{ 'accounts.cadence_days' if column == 'days' else "'default'" }}
    end
{%- endmacro %}

{#- Why a create is High priority (rules priority_high_*, docs/rules.md "Task priority"), null when it
    is Normal: 'very_overdue' (days_overdue >= priority_high_overdue_ratio × cadence_days), 'trend' (the
    referral trend is one of priority_high_trends) or 'top_potential' (in the owner's top
    priority_high_top_potential_share by potential), the first that holds. -#}
{% macro high_priority_reason() -%}
    {%- set trends = var('priority_high_trends', []) -%}
    case
        when overdue_accounts.days_overdue
            >= {{ var('priority_high_overdue_ratio') }} * overdue_accounts.cadence_days then 'very_overdue'
        {%- if trends %}
        when task_context.trend in ({{ sql_list(trends) }}) then 'trend'
        {%- endif %}
        when task_context.is_top_potential then 'top_potential'
    end
{%- endmacro %}
