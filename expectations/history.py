"""Run-over-run volume: this run's counts next to the last successful run's (`cadence_ops.quality_runs`).

A baseline row is written only after a successful writeback, so a blocked run never lowers the bar:
the next night compares against the last data the pipeline acted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from ingest.tables import table_exists
from ingest.warehouse import Warehouse, WarehouseArg, connect

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
-- Live accounts the rules put out of scope: a drop of in-scope accounts that reappears here was made
-- by the rules (a changed or mistyped picklist value), not by deletions in the CRM.
alter table {BASELINE_TABLE} add column if not exists out_of_scope_accounts bigint;
"""

_COUNTS_SQL = """
select crm, count(*) as accounts, coalesce(sum(visit_count), 0) as visits
from marts.account_cadence group by crm
"""

_OUT_OF_SCOPE_SQL = """
select crm, count(*) filter (where not is_in_scope) as out_of_scope
from intermediate.int_accounts group by crm
"""

_QUEUE_SQL = "select crm, count(*) as queue_size from marts.overdue_visit_tasks group by crm"

_BASELINE_SQL = f"""
select crm, baseline_accounts, baseline_visits, baseline_out_of_scope from (
    select crm, in_scope_accounts as baseline_accounts, visits as baseline_visits,
           {{out_of_scope}} as baseline_out_of_scope,
           row_number() over (partition by crm order by recorded_at desc) as _latest
    from {BASELINE_TABLE}
) runs
where _latest = 1
"""



def _baseline_sql(con: Warehouse) -> list[str]:
    """The baseline query, if there is a baseline (one an older version wrote lacks out_of_scope)."""
    if not table_exists(con, BASELINE_TABLE):
        return []
    found = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'cadence_ops' "
        "and table_name = 'quality_runs' and column_name = 'out_of_scope_accounts'"
    ).fetchone()
    column = "out_of_scope_accounts" if found and found[0] else "null::bigint"
    return [_BASELINE_SQL.format(out_of_scope=column)]


def volume_frame(con: Warehouse | Any, crms: Sequence[str]) -> pd.DataFrame:
    """One row per configured CRM: counts now, the baseline's (null on the first run), ratios, queue size."""
    con = Warehouse.wrap(con)
    frame = pd.DataFrame({"crm": list(crms)})
    for sql in (_COUNTS_SQL, _QUEUE_SQL, _OUT_OF_SCOPE_SQL, *_baseline_sql(con)):
        frame = frame.merge(con.fetch_df(sql), on="crm", how="left")
    for column in ("accounts", "visits", "queue_size", "out_of_scope"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("baseline_accounts", "baseline_visits", "baseline_out_of_scope"):
        if column not in frame:
            frame[column] = pd.NA
    frame["account_ratio"] = _ratio(frame["accounts"], frame["baseline_accounts"])
    frame["visit_ratio"] = _ratio(frame["visits"], frame["baseline_visits"])
    frame["moved_out_of_scope"] = _moved_out_of_scope(frame)
    return frame


def _moved_out_of_scope(frame: pd.DataFrame) -> pd.Series:
    """In-scope accounts lost since the baseline that are still in the CRM, now out of scope: the
    rules changed under them (0 without a baseline, or when out-of-scope accounts did not grow)."""
    lost = pd.to_numeric(frame["baseline_accounts"], errors="coerce") - frame["accounts"]
    grown = frame["out_of_scope"] - pd.to_numeric(frame["baseline_out_of_scope"], errors="coerce")
    moved = pd.concat([lost, grown], axis=1).min(axis=1).clip(lower=0)
    return moved.fillna(0).astype("int64")


def _ratio(now: pd.Series, baseline: pd.Series) -> pd.Series:
    """now / baseline; null (not checked) without a baseline or when the baseline was empty."""
    base = pd.to_numeric(baseline, errors="coerce")
    return (now / base.where(base > 0)).astype("float64").round(4)


def record_baseline(
    warehouse: WarehouseArg, run_id: str, as_of: date, crms: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Store this run's counts as the next run's baseline (a DuckDB write: call it from a serial step)."""
    with connect(warehouse) as con:
        con.execute(_DDL)
        counts = {row[0]: (int(row[1]), int(row[2])) for row in con.execute(_COUNTS_SQL).fetchall()}
        out_of_scope = dict(con.execute(_OUT_OF_SCOPE_SQL).fetchall())
        now = datetime.now(UTC)
        rows = [
            (run_id, crm, as_of, *counts.get(crm, (0, 0)), now, int(out_of_scope.get(crm, 0))) for crm in crms
        ]
        columns = ["run_id", "crm", "as_of", "in_scope_accounts", "visits", "recorded_at"]
        con.insert_rows(BASELINE_TABLE, [*columns, "out_of_scope_accounts"], rows)
    return {crm: counts.get(crm, (0, 0)) for crm in crms}
