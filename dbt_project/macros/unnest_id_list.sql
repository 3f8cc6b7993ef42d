{#- One row per (object_type, object_id, id) of the relation `associated`, whose `ids_column` holds the
    comma-separated ids HubSpot associations load as (raw layer: `company_ids`, `contact_ids`). -#}
{% macro unnest_id_list(ids_column, id_name) -%}
select distinct object_type, object_id, {{ id_name }}
from (
    select
        object_type,
        object_id,
        trim({{ split_to_rows(ids_column, ',') }}) as {{ id_name }}
    from associated
    where {{ ids_column }} is not null and {{ ids_column }} <> ''
) as split_ids
where {{ id_name }} <> ''
{%- endmacro %}
