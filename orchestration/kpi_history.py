"""The per-person KPI history: `marts.rep_leaderboard` snapshotted into `cadence_ops.rep_kpi_snapshots`
after each successful night, so the report can chart how each rep's numbers moved.

Key: one row per person per as-of date. A rerun of an as-of (a retried night, a second run the same
day) replaces that date's rows as one transaction: the last successful run of a date is what the
history shows, and a person who left the book between the two runs leaves that date too. Each row
keeps the run that wrote it. The marts are rebuilt from the CRM every night, so an old date's numbers
are never rewritten except by a run of that very as-of.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from ingest.tables import table_exists
from ingest.warehouse import Warehouse, WarehouseArg, connect

TABLE = "cadence_ops.rep_kpi_snapshots"
HISTORY_WEEKS = 12  # what the report charts
LEADERBOARD = "marts.rep_leaderboard"

# The leaderboard's KPI columns the history keeps (name -> type). Added columns join with
# `add column if not exists`, so a warehouse snapshotted by an older version keeps its history.
KPI_COLUMNS = {
    "person_name": "varchar",
    "in_scope_accounts": "bigint",
    "overdue_accounts": "bigint",
    "on_cadence_pct": "float8",  # DOUBLE on DuckDB, double precision on PostgreSQL
    "new_prospects_this_month": "bigint",
    "target_new_prospects_per_month": "bigint",
    "visits_last_30d": "bigint",
    "referrer_coverage_pct": "float8",
}

_DDL = f"""
create schema if not exists cadence_ops;
create table if not exists {TABLE} (
    as_of date not null,
    person_key varchar not null,
    run_id varchar not null,
    recorded_at timestamptz not null
);
""" + "".join(
    f"alter table {TABLE} add column if not exists {name} {kind};\n" for name, kind in KPI_COLUMNS.items()
)


def record_snapshot(warehouse: WarehouseArg, run_id: str, as_of: date) -> int:
    """Replace `as_of`'s snapshot with the leaderboard now in the marts; the number of people saved."""
    with connect(warehouse) as con:
        con.execute(_DDL)
        present = _leaderboard_columns(con)
        columns = [name for name in KPI_COLUMNS if name in present]
        listed = ", ".join(columns)
        with con.transaction():
            con.execute(f"delete from {TABLE} where as_of = ?", [as_of])
            con.execute(
                f"insert into {TABLE} (as_of, person_key, run_id, recorded_at, {listed}) "
                f"select ?, person_key, ?, ?, {listed} from {LEADERBOARD}",
                [as_of, run_id, datetime.now(UTC)],
            )
        row = con.execute(f"select count(*) from {TABLE} where as_of = ?", [as_of]).fetchone()
    return int(row[0]) if row else 0


def _leaderboard_columns(con: Warehouse) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'rep_leaderboard'"
    ).fetchall()
    return {name for (name,) in rows}


def read_history(con: Any, as_of: date | None, weeks: int = HISTORY_WEEKS) -> pd.DataFrame:
    """The snapshots of the `weeks` weeks ending on `as_of` (as-of, person, KPIs), oldest first; none
    without an as-of (marts of mixed dates) or before the first snapshot."""
    columns = ["as_of", "person_key", *KPI_COLUMNS]
    if as_of is None or not table_exists(con, TABLE):
        return pd.DataFrame({name: [] for name in columns})
    return Warehouse.wrap(con).fetch_df(
        f"select {', '.join(columns)} from {TABLE} "
        "where as_of > cast(? as date) - ? and as_of <= cast(? as date) order by as_of, person_key",
        [as_of, 7 * weeks, as_of],
    )
