{#- Models land in exactly the schema configured for their folder (staging, intermediate, marts),
    not in '<target schema>_<custom schema>' as dbt does by default. The marts of a whole build on
    PostgreSQL are built aside, in var('cadence_marts_build_schema') (the runner sets it), and published
    together at the end of the run (macros/publish_marts.sql). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('cadence_marts_build_schema', 'marts') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
