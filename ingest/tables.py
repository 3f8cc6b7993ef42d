"""What the warehouse holds: the one check every reader of an optional table makes first."""

from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether `schema.table` exists. Read whole (fetchall): a half-read result would block the
    connection's next `register()`."""
    schema, table = qualified.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(found and found[0][0])
