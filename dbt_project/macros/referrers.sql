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
