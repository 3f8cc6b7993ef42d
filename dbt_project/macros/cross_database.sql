{#- The constructs DuckDB and PostgreSQL spell differently (issue 16), each one macro dispatched on the
    adapter (docs.getdbt.com/reference/dbt-jinja-functions/dispatch): duckdb__ is the DuckDB SQL the
    project always had, default__ the PostgreSQL one. Others live beside their only user:
    task_key_from_text and local_timestamp (dates.sql, cadence_rules.sql), registry_map_words and
    registry_strip_accents (registry_matching.sql). -#}

{#- The value of `expression` in the first row of the group by `order_by` (an ORDER BY list). -#}
{% macro first_by(expression, order_by) -%}
    {{ return(adapter.dispatch('first_by', 'cadence')(expression, order_by)) }}
{%- endmacro %}

{% macro duckdb__first_by(expression, order_by) -%}
    first({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- PostgreSQL has no first() aggregate: the ordered array's first element (nulls kept, as first()). -#}
{% macro default__first_by(expression, order_by) -%}
    (array_agg({{ expression }} order by {{ order_by }}))[1]
{%- endmacro %}

{#- One row per part of `text` split on `delimiter` (a set-returning expression in a select list). -#}
{% macro split_to_rows(text, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows', 'cadence')(text, delimiter)) }}
{%- endmacro %}

{% macro duckdb__split_to_rows(text, delimiter) -%}
    unnest(string_split({{ text }}, {{ dbt.string_literal(delimiter) }}))
{%- endmacro %}

{#- PostgreSQL: regexp_split_to_table would read the delimiter as a pattern; string_to_table (14+)
    splits on the plain string, as DuckDB's string_split does. -#}
{% macro default__split_to_rows(text, delimiter) -%}
    string_to_table({{ text }}, {{ dbt.string_literal(delimiter) }})
{%- endmacro %}

{#- part / whole as a double. DuckDB: `1.0 * part / whole` is one already (a decimal divided is a
    double); PostgreSQL would keep it numeric (20 digits), so the marts' shares would differ in type
    and in their last digits from DuckDB's. -#}
{% macro ratio(part, whole) -%}
    {{ return(adapter.dispatch('ratio', 'cadence')(part, whole)) }}
{%- endmacro %}

{% macro duckdb__ratio(part, whole) -%}
    1.0 * {{ part }} / {{ whole }}
{%- endmacro %}

{% macro default__ratio(part, whole) -%}
    cast({{ part }} as double precision) / {{ whole }}
{%- endmacro %}

{#- 100 × part / whole rounded to one decimal, a double. PostgreSQL's round(x, n) takes only numeric. -#}
{% macro percent_of(part, whole) -%}
    {{ return(adapter.dispatch('percent_of', 'cadence')(part, whole)) }}
{%- endmacro %}

{% macro duckdb__percent_of(part, whole) -%}
    round(100.0 * {{ part }} / {{ whole }}, 1)
{%- endmacro %}

{% macro default__percent_of(part, whole) -%}
    cast(round(cast(100 * cast({{ part }} as double precision) / {{ whole }} as numeric), 1) as double precision)
{%- endmacro %}
