"""Deletes that leave no trace: when to look for them, and how a row the CRM no longer has is marked.

An incremental read sees a delete only while the CRM still lists the deleted record: Salesforce's
`queryAll` while it sits in the Recycle Bin (15 days, or until someone empties the bin), HubSpot's
`archived=true` list while the record can be restored (90 days; a GDPR delete or "permanently
delete" skips it). A pipeline paused longer, or a purge between two nights, would keep the row live
in the warehouse forever, and the account in the marts, nagged every night.

So each object's resource, after its incremental read, may check for deletes:

- a **key scan** lists the ids the CRM has live (ids only: 2,000 a Salesforce query page, 100 a
  HubSpot list page) and marks every live raw row missing from it as deleted. Accounts / companies
  are scanned every night (they decide who is nagged); the other objects once a key-scan period
  (`cadence.key_scan_days`, default 7), or sooner when the cheap check cannot vouch for the window;
- the **cheap check** (Salesforce only: `getDeleted`, one call) lists the ids deleted since the last
  check; it answers for at most 15 days back and says when its delete log was purged
  (`earliestDateAvailable`): a window it cannot cover falls back to a key scan.

A missing row is marked by merging the row as the raw table holds it with the CRM's delete flag set
(`is_deleted` / `archived` = true), `_cadence_deleted_by` (`key_scan` / `get_deleted`) and
`_cadence_deleted_at` (the CRM's clock when found), through the same dlt load as the read: all or
nothing. The staging models' delete filters then drop it. When the last check and the last key scan
ran lives in the resource state next to the cursor, committed with the load: a failed sync changes
nothing and the next night checks the same window again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from ingest.cursor import Cursor

logger = logging.getLogger(__name__)

DEFAULT_KEY_SCAN_DAYS = 7.0
STATE_KEY = "deletes"
DELETED_BY = "_cadence_deleted_by"
DELETED_AT = "_cadence_deleted_at"
KEY_SCAN = "key_scan"
GET_DELETED = "get_deleted"
# The CRM checks a getDeleted start against its own clock at the call: leave room for the calls between.
_WINDOW_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class DeleteCheck:
    """What one object's sync does about deletes its read cannot see."""

    key_scan: bool
    since: datetime | None  # start of the getDeleted window; None: no getDeleted
    reason: str

    @property
    def needed(self) -> bool:
        return self.key_scan or self.since is not None


@dataclass(frozen=True)
class DeleteState:
    """When deletes were last checked (`until`) and keys last scanned, in the resource state."""

    until: datetime | None = None
    key_scan_at: datetime | None = None

    @classmethod
    def of(cls, state: dict[str, Any]) -> DeleteState:
        saved = state.get(STATE_KEY) or {}
        return cls(*(_moment(saved.get(name)) for name in ("until", "key_scan_at")))

    def save(self, state: dict[str, Any]) -> None:
        state[STATE_KEY] = {
            "until": self.until.isoformat() if self.until else None,
            "key_scan_at": self.key_scan_at.isoformat() if self.key_scan_at else None,
        }


def plan_check(
    saved: DeleteState,
    crm_now: datetime,
    *,
    first_sync: bool,
    nightly: bool,
    key_scan_days: float,
    replication_days: float | None,
) -> DeleteCheck:
    """The check for one object this run.

    `first_sync`: nothing loaded yet, so nothing can be missing. `nightly`: key-scanned every night.
    `replication_days`: how far back the CRM's getDeleted answers (None: it has none; HubSpot).
    """
    if first_sync:
        return DeleteCheck(False, None, "first sync: the full read is the key scan")
    if nightly:
        return DeleteCheck(True, None, "key-scanned every night")
    if saved.key_scan_at is None or crm_now - saved.key_scan_at >= timedelta(days=key_scan_days):
        return DeleteCheck(
            True, None, f"last key scan {_age(saved.key_scan_at, crm_now)} (period {key_scan_days:g} days)"
        )
    if replication_days is None:
        return DeleteCheck(False, None, "within the key-scan period; archived records are listed")
    oldest = crm_now - timedelta(days=replication_days) + _WINDOW_MARGIN
    if saved.until is None or saved.until < oldest:
        return DeleteCheck(
            True, None, f"last delete check {_age(saved.until, crm_now)}: past getDeleted's window"
        )
    return DeleteCheck(False, saved.until, "getDeleted since the last check")


@dataclass(frozen=True)
class Target:
    """The raw table a check marks rows in: its name, the CRM's delete flag column, the page schema."""

    table: str
    flag: str
    schema: pa.Schema


# getDeleted since an instant: the ids deleted and the instant covered up to; None when the answer
# cannot vouch for the window (log purged inside it, window refused): a key scan then.
GetDeleted = Callable[[datetime], tuple[pa.Array, datetime] | None]


def run_check(
    check: DeleteCheck,
    state: dict[str, Any],
    crm_now: datetime,
    target: Target,
    read: ReadIds,
    scan: Callable[[], pa.Array],
    get_deleted: GetDeleted | None = None,
) -> Iterator[pa.Table]:
    """Carry out `check` after the object's read; yields the marked rows; updates the resource state."""
    saved = DeleteState.of(state)
    if not check.needed:
        if saved.until is None:  # first sync: everything up to now was read
            DeleteState(crm_now, crm_now).save(state)
        return
    if check.since is not None and get_deleted is not None:
        answer = get_deleted(check.since)
        if answer is not None:
            ids, covered = answer
            marked = marked_rows(target, read=read.array(), by=GET_DELETED, crm_now=crm_now, deleted=ids)
            _log(target, check.reason, len(ids), marked)
            yield from [marked] if marked is not None else []
            DeleteState(covered, saved.key_scan_at).save(state)
            return
        check = DeleteCheck(True, None, "getDeleted cannot vouch for the window")
    live = scan()
    marked = marked_rows(target, read=read.array(), by=KEY_SCAN, crm_now=crm_now, live=live)
    _log(target, check.reason, len(live), marked)
    yield from [marked] if marked is not None else []
    DeleteState(crm_now, crm_now).save(state)


def _log(target: Target, reason: str, ids: int, marked: pa.Table | None) -> None:
    logger.info(
        "%s: delete check (%s): %d ids from the CRM, %d rows marked deleted",
        target.table, reason, ids, marked.num_rows if marked is not None else 0,
    )  # fmt: skip


def never_loaded(state: dict[str, Any]) -> bool:
    """No cursor saved yet: this sync reads everything, so nothing loaded can be missing."""
    return not state.get(Cursor.STATE_KEY) and not state.get(Cursor.LEGACY_KEY)


def _age(moment: datetime | None, now: datetime) -> str:
    return "never" if moment is None else f"{(now - moment).total_seconds() / 86400:.1f} days ago"


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class ReadIds:
    """The ids this run's read loaded for one object: their rows are the CRM's latest, never marked."""

    def __init__(self, wanted: bool) -> None:
        self.wanted = wanted
        self._chunks: list[pa.Array] = []

    def note(self, table: pa.Table) -> pa.Table:
        if self.wanted and table.num_rows:
            self._chunks.append(table["id"].combine_chunks())
        return table

    def array(self) -> pa.Array:
        return pa.concat_arrays(self._chunks) if self._chunks else pa.array([], pa.string())


def id_array(ids: Iterable[str]) -> pa.Array:
    return pa.array(list(ids), pa.string())


def marked_rows(
    target: Target,
    *,
    read: pa.Array,
    by: str,
    crm_now: datetime,
    live: pa.Array | None = None,
    deleted: pa.Array | None = None,
) -> pa.Table | None:
    """Raw rows of `table` still live but gone from the CRM, with `flag` set: rows absent from `live`
    (a key scan's ids) or present in `deleted` (getDeleted's ids); rows in `read` are left alone.

    Read from the pipeline's own destination (the warehouse before this load); None when none.
    """
    table, flag = target.table, target.flag
    with dlt.current.pipeline().sql_client() as client:
        qualified = client.make_qualified_table_name(table)
        existing = _columns(client, table)
        if not existing:
            return None
        columns = [c for c in existing if not c.startswith("_dlt")]
        select = (
            f"select {', '.join(_quote(c) for c in columns)} from {qualified} "
            f"where not coalesce({_quote(flag)}, false)"
        )
        crm_ids = live if live is not None else deleted
        found = _still_live_rows(client, select, read, crm_ids, marks_absent=live is not None)
    if not found.num_rows:
        return None
    return _as_marked(found, flag, target.schema, by, crm_now)


def _still_live_rows(
    client: Any, select: str, read: pa.Array, crm_ids: pa.Array, marks_absent: bool
) -> pa.Table:
    """`select`'s rows not in `read`, and absent from (`marks_absent`) or present in `crm_ids`."""
    import duckdb  # the pipeline's destination already loaded it, when it is DuckDB

    con = client.native_connection
    if isinstance(con, duckdb.DuckDBPyConnection):
        # The ids as Arrow tables DuckDB scans in place (a 10k org's key scan: no SQL literal, no copy).
        con.register("_cadence_read_ids", pa.table({"id": read}))
        con.register("_cadence_crm_ids", pa.table({"id": crm_ids}))
        try:
            membership = "not in" if marks_absent else "in"
            # con.sql, not con.execute: Arrow straight from the relation, without the extra copy
            # (and the UserWarning) of Arrow on a DB-API result.
            return con.sql(
                f"{select} and id not in (select id from _cadence_read_ids) "
                f"and id {membership} (select id from _cadence_crm_ids)"
            ).to_arrow_table()
        finally:
            con.unregister("_cadence_read_ids")
            con.unregister("_cadence_crm_ids")
    # PostgreSQL (psycopg2): the ids as two text[] parameters; `<> all('{}')` holds, `= any('{}')` not.
    membership = "<> all(%s::text[])" if marks_absent else "= any(%s::text[])"
    with client.execute_query(
        f"{select} and id <> all(%s::text[]) and id {membership}", read.to_pylist(), crm_ids.to_pylist()
    ) as cursor:
        names = [d[0] for d in cursor.description]
        return pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])


def _columns(client: Any, table: str) -> list[str]:
    rows = client.execute_sql(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position",
        client.dataset_name,
        table,
    )
    return [row[0] for row in rows or []]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_marked(found: pa.Table, flag: str, schema: pa.Schema, by: str, crm_now: datetime) -> pa.Table:
    """`found` in the read's page schema (columns the raw table lacks: null), deleted, with why and when."""
    rows = found.num_rows
    columns: dict[str, pa.Array] = {}
    for field in schema:
        if field.name == flag:
            columns[field.name] = pa.array([True] * rows, pa.bool_())
        elif field.name in found.column_names:
            columns[field.name] = pc.cast(found[field.name], field.type).combine_chunks()
        else:
            columns[field.name] = pa.nulls(rows, field.type)
    columns[DELETED_BY] = pa.array([by] * rows, pa.string())
    columns[DELETED_AT] = pa.array([crm_now.astimezone(UTC)] * rows, pa.timestamp("us", "UTC"))
    fields = [*schema, pa.field(DELETED_BY, pa.string()), pa.field(DELETED_AT, pa.timestamp("us", "UTC"))]
    return pa.Table.from_pydict(columns, schema=pa.schema(fields))


__all__ = [
    "DEFAULT_KEY_SCAN_DAYS",
    "DELETED_AT",
    "DELETED_BY",
    "GET_DELETED",
    "KEY_SCAN",
    "DeleteCheck",
    "DeleteState",
    "GetDeleted",
    "ReadIds",
    "Target",
    "id_array",
    "marked_rows",
    "never_loaded",
    "plan_check",
    "run_check",
]
