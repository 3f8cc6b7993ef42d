"""Every mart of a warehouse as comparable rows, on either engine (issue 16): the same org built on
DuckDB and on PostgreSQL must give the same rows. Types are normalised where the engines name the same
value differently, never where the values differ: numeric and double to a float rounded to 9 decimals
(both engines compute shares in double; a numeric would print more digits), timestamps to UTC,
lists to their sorted items joined by '|', everything else as the driver returns it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

MARTS = "marts"
Marts = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]  # mart -> (columns, sorted rows)


def duckdb_marts(warehouse: Path) -> Marts:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [MARTS]
        ).fetchall()]  # fmt: skip
        return {name: _table(con.cursor(), name) for name in names}


def postgres_marts(url: str) -> Marts:
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(
            "select table_name from information_schema.tables where table_schema = %s order by 1", [MARTS]
        )
        names = [r[0] for r in cursor.fetchall()]
        return {name: _table(cursor, name) for name in names}


def _table(cursor: Any, name: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    cursor.execute(f'select * from {MARTS}."{name}"')
    columns = tuple(d[0] for d in cursor.description)
    rows = [tuple(normalise(v) for v in row) for row in cursor.fetchall()]
    return columns, sorted(rows, key=repr)


def normalise(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        number = float(value)
        return number if math.isnan(number) else round(number, 9)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, list | tuple):
        return "|".join(sorted(str(normalise(item)) for item in value))
    return value


def differences(left: Marts, right: Marts, limit: int = 3) -> list[str]:
    """What differs, one line each: marts missing on a side, columns, then rows only on one side."""
    found = [f"mart {name} only on one side" for name in sorted(set(left) ^ set(right))]
    for name in sorted(set(left) & set(right)):
        (left_columns, left_rows), (right_columns, right_rows) = left[name], right[name]
        if left_columns != right_columns:
            found.append(f"{name}: columns {left_columns} != {right_columns}")
            continue
        only_left = [r for r in left_rows if r not in right_rows][:limit]
        only_right = [r for r in right_rows if r not in left_rows][:limit]
        if only_left or only_right or len(left_rows) != len(right_rows):
            found.append(f"{name}: {len(left_rows)} vs {len(right_rows)} rows; only left {only_left}; "
                         f"only right {only_right}")  # fmt: skip
    return found
