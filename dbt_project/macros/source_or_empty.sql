{#- A source relation, or — when the CRM is not loaded into this warehouse at all (a team with only
    Salesforce or only HubSpot) — an empty row set with the source's documented columns and types,
    so the other CRM's models still build. Staging models read their source through this macro.
    It is the project's only introspective query: `compile_without_warehouse` (set by
    orchestration/warehouse_compile.py, never by a nightly run) assumes every source exists, so the
    project compiles for an adapter with no server to ask (docs/warehouses.md). -#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute or var('compile_without_warehouse', false) or load_relation(relation) is not none -%}
        {{ relation }}
    {%- else -%}
        {%- set node = graph.sources.values()
            | selectattr('source_name', 'equalto', source_name)
            | selectattr('name', 'equalto', table_name) | first -%}
        (
            select
            {%- for column in node.columns.values() %}
                cast(null as {{ source_column_type(column.data_type) }}) as {{ adapter.quote(column.name) }}
                {{- "," if not loop.last }}
            {%- endfor %}
            where 1 = 0
        ) as {{ adapter.quote('empty_' ~ table_name) }}  {#- PostgreSQL requires a subquery's alias #}
    {%- endif -%}
{%- endmacro %}

{#- A source column's documented type (DuckDB's names) as this adapter spells it. -#}
{% macro source_column_type(data_type) -%}
    {{ return(adapter.dispatch('source_column_type', 'cadence')(data_type)) }}
{%- endmacro %}

{% macro duckdb__source_column_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{#- PostgreSQL has no tinyint nor a bare `double`; dlt loads timestamps there as timestamptz. -#}
{% macro default__source_column_type(data_type) -%}
    {%- set names = {'tinyint': 'smallint', 'double': 'double precision', 'timestamp': 'timestamp with time zone'} -%}
    {{ return(names.get(data_type | lower, data_type)) }}
{%- endmacro %}
