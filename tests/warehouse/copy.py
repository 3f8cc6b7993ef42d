"""Copy a DuckDB warehouse's schemas into a PostgreSQL one, table by table (through Arrow), so a reader
can be compared on both engines with the very same rows (the marts on PostgreSQL built by dbt are
the engine branch's business; this isolates the reader's SQL)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from ingest.warehouse import WarehouseArg, connect


def _sql_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_integer(kind):
        return {8: "smallint", 16: "smallint", 32: "integer"}.get(kind.bit_width, "bigint")
    if pa.types.is_floating(kind):
        return "float4" if kind.bit_width == 32 else "float8"
    if pa.types.is_decimal(kind):
        return f"numeric({kind.precision}, {kind.scale})"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_timestamp(kind):
        return "timestamptz" if kind.tz else "timestamp"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "varchar"
    raise TypeError(f"no PostgreSQL type for {kind} in this copy")


def copy_schemas(source: WarehouseArg, target: WarehouseArg, schemas: Sequence[str]) -> list[str]:
    """Every table of `schemas` in `source`, created and filled in `target`; the tables copied."""
    copied = []
    with connect(source, read_only=True) as src, connect(target) as dst:
        tables = src.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join('?' for _ in schemas)}) order by 1, 2",
            list(schemas),
        ).fetchall()
        for schema, name in tables:
            data = src.fetch_arrow(f'select * from {schema}."{name}"')
            columns = ", ".join(f'"{f.name}" {_sql_type(f.type)}' for f in data.schema)
            dst.execute(f"create schema if not exists {schema}")
            dst.execute(f'create table {schema}."{name}" ({columns})')
            dst.insert_rows(f'{schema}."{name}"', [f'"{n}"' for n in data.column_names],
                            [tuple(row.values()) for row in data.to_pylist()])  # fmt: skip
            copied.append(f"{schema}.{name}")
    return copied
