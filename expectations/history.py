"""Run-over-run volume: this run's counts next to the last successful run's (`cadence_ops.quality_runs`).

A baseline row is written only after a successful writeback, so a blocked run never lowers the bar:
the next night compares against the last data the pipeline acted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

BASELINE_TABLE = "cadence_ops.quality_runs"

_DDL = f"""
create schema if not exists cadence_ops;
create table if not exists {BASELINE_TABLE} (
    run_id varchar not null,
    crm varchar not null,
    as_of date not null,
    in_scope_accounts bigint not null,
    visits bigint not null,
    recorded_at timestamptz not null
);
"""

_COUNTS_SQL = """
select crm, count(*) as accounts, coalesce(sum(visit_count), 0) as visits
from marts.account_cadence group by crm
"""

_QUEUE_SQL = "select crm, count(*) as queue_size from marts.overdue_visit_tasks group by crm"

_BASELINE_SQL = f"""
select crm, in_scope_accounts as baseline_accounts, visits as baseline_visits
from {BASELINE_TABLE}
qualify row_number() over (partition by crm order by recorded_at desc) = 1
"""


def _has_baseline(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'cadence_ops' and table_name = 'quality_runs'"
    ).fetchone()
    return bool(found and found[0])


def volume_frame(con: duckdb.DuckDBPyConnection, crms: Sequence[str]) -> pd.DataFrame:
    """One row per configured CRM: counts now, the baseline's (null on the first run), ratios, queue size."""
    frame = pd.DataFrame({"crm": list(crms)})
    for sql in (_COUNTS_SQL, _QUEUE_SQL, *([_BASELINE_SQL] if _has_baseline(con) else [])):
        frame = frame.merge(con.execute(sql).df(), on="crm", how="left")
    for column in ("accounts", "visits", "queue_size"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("baseline_accounts", "baseline_visits"):
        if column not in frame:
            frame[column] = pd.NA
    frame["account_ratio"] = _ratio(frame["accounts"], frame["baseline_accounts"])
    frame["visit_ratio"] = _ratio(frame["visits"], frame["baseline_visits"])
    return frame


def _ratio(now: pd.Series, baseline: pd.Series) -> pd.Series:
    """now / baseline; null (not checked) without a baseline or when the baseline was empty."""
    base = pd.to_numeric(baseline, errors="coerce")
    return (now / base.where(base > 0)).astype("float64").round(4)


def record_baseline(
    warehouse: Path, run_id: str, as_of: date, crms: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Store this run's counts as the next run's baseline (a DuckDB write: call it from a serial step)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(_DDL)
        counts = {row[0]: (int(row[1]), int(row[2])) for row in con.execute(_COUNTS_SQL).fetchall()}
        now = datetime.now(UTC)
        rows = [(run_id, crm, as_of, *counts.get(crm, (0, 0)), now) for crm in crms]
        con.executemany(f"insert into {BASELINE_TABLE} values (?, ?, ?, ?, ?, ?)", rows)
    return {crm: counts.get(crm, (0, 0)) for crm in crms}
