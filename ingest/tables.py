"""What the warehouse holds: the one check every reader of an optional table makes first."""

from __future__ import annotations

from typing import Any


def table_exists(con: Any, qualified: str) -> bool:
    """Whether `schema.table` exists. `con`: a warehouse connection (ingest/warehouse.py) or a DuckDB
    one. Read whole (fetchall): a half-read result would block a DuckDB connection's next `register()`."""
    schema, table = qualified.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(found and found[0][0])
