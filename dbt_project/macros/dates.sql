{#- The run's as-of date: var('as_of') (YYYY-MM-DD) as a date, else env CADENCE_AS_OF, else today.
    The orchestrator sets the env var rather than the var: changing a var forces dbt to re-parse the
    whole project. The env var is read only when a model compiles (`execute`), never while dbt parses:
    dbt re-parses every file that read an env var whose value changed (dbt-core #3885), which would be
    every model using the date, every night. While parsing, the date's SQL is never run. -#}
{% macro as_of_date() -%}
    {%- if not execute -%}
        {{ return('current_date') }}
    {%- endif -%}
    {%- set as_of = var('as_of', '') | string | trim -%}
    {%- if as_of in ('', 'None', 'none') -%}
        {%- set as_of = env_var('CADENCE_AS_OF', '') | string | trim -%}
    {%- endif -%}
    {%- if as_of in ('', 'None', 'none', 'today') -%}
        current_date
    {%- else -%}
        cast('{{ as_of }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- date + n days, as a date (dbt.dateadd may return a timestamp). -#}
{% macro add_days(days, date_expression) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{#- Whole days from start_date to end_date (end − start). -#}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{#- First day of the month of a date, as a date. -#}
{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{#- True when date_column lies in the `days`-day window ending on the as-of date (inclusive):
    as_of − days < date_column <= as_of. -#}
{% macro in_trailing_window(date_column, days) -%}
    ({{ date_column }} <= {{ as_of_date() }}
     and {{ date_column }} > {{ add_days(-1 * days, as_of_date()) }})
{%- endmacro %}

{#- Staging only: a UTC timestamp as a calendar date / local timestamp in var('timezone'). -#}
{% macro local_date(timestamp_column) -%}
    cast({{ local_timestamp(timestamp_column) }} as date)
{%- endmacro %}

{% macro local_timestamp(timestamp_column) -%}
    {{ return(adapter.dispatch('local_timestamp', 'cadence')(timestamp_column)) }}
{%- endmacro %}

{% macro default__local_timestamp(timestamp_column) -%}
    ({{ timestamp_column }} at time zone '{{ var("timezone") }}')
{%- endmacro %}

{% macro duckdb__local_timestamp(timestamp_column) -%}
    timezone('{{ var("timezone") }}', {{ timestamp_column }})
{%- endmacro %}
