{#- Issue 16: on PostgreSQL a BI tool reads the marts while the nightly run rebuilds them. dbt-postgres
    swaps each table on its own (rename to __dbt_backup, rename __dbt_tmp in, drop the backup), so a
    reader could join tonight's overdue_visit_tasks to last night's account_cadence, and each swap
    waits for the ACCESS EXCLUSIVE lock behind any reader holding the table (PostgreSQL docs 13.3.1,
    "ALTER TABLE ... RENAME"). So a whole build (the runner: orchestration/dbt_runner.py) builds every
    mart into `marts__build`, runs the tests there, and only when every node succeeded publishes them in
    one transaction by renaming schemas, which takes no lock on the tables in them: a running query
    keeps reading the tables it opened (now in marts__previous), the next one sees all new marts.

    marts__previous (the night before's tables) is dropped first, waiting at most lock_timeout for a
    reader still holding one of them; if one is, it is renamed marts__stale_<time> and left, never
    blocking the run (drop it when that reader is gone). A run with a failed node publishes nothing:
    the marts stay last night's, whole. -#}
{% macro publish_marts(results) -%}
    {%- set build_schema = var('cadence_marts_build_schema', 'marts') -%}
    {%- if not execute or build_schema == 'marts' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
    {%- if failed -%}
        {{ log('marts not published: ' ~ failed | length ~ ' node(s) failed; the marts stay the last published', info=True) }}
        {{ return('') }}
    {%- endif -%}
    {%- set marts = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('schema', 'equalto', build_schema) | map(attribute='unique_id') | list -%}
    {%- set built = results | selectattr('status', 'equalto', 'success')
        | map(attribute='node.unique_id') | list -%}
    {%- set missing = marts | reject('in', built) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            'marts not published: this run built the marts aside but not ' ~ missing | join(', ')
            ~ '; run the whole build (no --select) on PostgreSQL') }}
    {%- endif -%}
    {{ log('publishing ' ~ marts | length ~ ' marts from ' ~ build_schema, info=True) }}
    do $publish$
    begin
        begin
            set local lock_timeout = '2s';
            drop schema if exists marts__previous cascade;
        exception when lock_not_available then
            execute format('alter schema marts__previous rename to %I',
                'marts__stale_' || to_char(clock_timestamp(), 'YYYYMMDD"T"HH24MISSUS'));
        end;
        if exists (select from pg_namespace where nspname = 'marts') then
            alter schema marts rename to marts__previous;
        end if;
        alter schema {{ adapter.quote(build_schema) }} rename to marts;
    end
    $publish$
{%- endmacro %}
