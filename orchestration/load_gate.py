"""Which raw loads passed their quality checks: the nightly job's cursors move only with those.

The raw check of a CRM records the newest dlt load of `raw_<crm>` when no critical expectation failed
(or the gate was overridden: an operator accepted the load); the next night's sync hands these load
ids to the sources (ingest/cursor.py), which then promote that night's pending cursor, or drop it and
read the blocked night's changes again.
"""

from __future__ import annotations

from ingest.tables import table_exists
from ingest.warehouse import WarehouseArg, connect, exists

TABLE = "cadence_ops.raw_loads_passed"


def passed_loads(warehouse: WarehouseArg, crm: str) -> frozenset[str]:
    """The load ids of `crm` whose raw checks passed (none before the first check)."""
    if not exists(warehouse):
        return frozenset()
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, TABLE):
            return frozenset()
        rows = con.execute(f"select load_id from {TABLE} where crm = ?", [crm]).fetchall()
    return frozenset(row[0] for row in rows)


def record_passed_load(warehouse: WarehouseArg, crm: str, run_id: str) -> str | None:
    """Record the newest completed load of `raw_<crm>` as passed; returns its id (None: no load yet)."""
    with connect(warehouse) as con:
        if not table_exists(con, f"raw_{crm}._dlt_loads"):
            return None
        row = con.execute(f"select max(load_id) from raw_{crm}._dlt_loads where status = 0").fetchone()
        load_id = row[0] if row else None
        if load_id is None:
            return None
        con.execute("create schema if not exists cadence_ops")
        con.execute(
            f"create table if not exists {TABLE} (crm varchar, load_id varchar, run_id varchar, "
            "checked_at timestamptz default current_timestamp)"
        )
        con.execute(f"insert into {TABLE} (crm, load_id, run_id) values (?, ?, ?)", [crm, load_id, run_id])
    return str(load_id)

