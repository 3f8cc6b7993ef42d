{#- dbt-postgres reads a relation's column types from information_schema.columns.data_type, which names
    every array type just 'ARRAY' (PostgreSQL docs, 37.17 "columns": "If the column has an array type,
    ARRAY"), so a unit test's `cast(null as ARRAY)` for a list column (taxonomy_codes) is a syntax
    error. This project's override (dbt calls the root project's postgres__ macro first:
    docs.getdbt.com/reference/dbt-jinja-functions/dispatch#overriding-package-macros) names an array by
    its element type, e.g. varchar[] from udt_name '_varchar'; every other column as dbt-postgres does. -#}
{% macro postgres__get_columns_in_relation(relation) -%}
    {% call statement('get_columns_in_relation', fetch_result=True) %}
        select
            column_name,
            case when data_type = 'ARRAY' then substr(udt_name, 2) || '[]' else data_type end as data_type,
            character_maximum_length,
            numeric_precision,
            numeric_scale
        from {{ relation.information_schema('columns') }}
        where table_name = '{{ relation.identifier }}'
        {% if relation.schema %}
            and table_schema = '{{ relation.schema }}'
        {% endif %}
        order by ordinal_position
    {% endcall %}
    {{ return(sql_convert_columns_in_relation(load_result('get_columns_in_relation').table)) }}
{%- endmacro %}
