"""The incremental cursor of every CRM object: a lookback before it, the CRM's clock above it, exactly once.

A CRM read filtered `modstamp >= cursor` misses records whose modstamp is older than the moment they
became readable: HubSpot's search index lags writes by seconds (more under load), and Salesforce stamps
`SystemModstamp` when a transaction starts, not when it commits. So:

- every incremental read starts `lookback` before the saved cursor;
- the saved cursor never moves past "the CRM's clock − lookback" (the clock is the `Date` header of the
  CRM's response just before the read, not the local clock, which may be skewed);
- rows re-read in that margin are dropped when their (id, modstamp) was loaded before, so the merge on
  id sees each version once and an unchanged night loads nothing.

Default lookback: 5 minutes. HubSpot's search lag is a few seconds in normal operation and public
reports describe up to about a minute under load; a Salesforce transaction may run for minutes
before it commits. Re-reading 5–10 minutes of changes costs no extra call on a normal night (they
fit in the one query/search page an unchanged object costs anyway).

The state lives in the dlt resource state (`cursor`: `at`, `seen`), committed with the load: a failed
sync leaves it as it was.

A cursor moves only with a load that passed its raw quality checks (issue 18): a gated sync (the nightly
job passes `passed_loads`, the dlt load ids whose raw checks passed) saves its cursor as `pending`, with
the id of the load that carries it. The next gated sync promotes that cursor when its load passed, and
otherwise drops it and reads from the last committed cursor again: a night whose raw checks blocked is
read again the next night. An ungated sync (`cadence ingest`, the tests) commits at once.

And no saved cursor is trusted past the CRM's clock: a cursor after "now − lookback" (a state written
before the ceiling existed, or edited) is pulled back to it, so one far-future modstamp cannot freeze a
resource for good.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_LOOKBACK_SECONDS = 300.0
_PRUNE_AT = 50_000  # tracked keys before the ones behind the lookback margin are dropped


class Cursor:
    """One resource's cursor: where to read from, which rows are new, what to save."""

    STATE_KEY = "cursor"
    PENDING_KEY = "cursor_pending"  # a gated sync's cursor, until its load's raw checks passed
    LEGACY_KEY = "cursor_boundary"  # before the lookback: {"at", "ids"} at the cursor instant

    def __init__(
        self,
        state: dict[str, Any],
        column: str,
        key: str,
        lookback_seconds: float,
        passed_loads: frozenset[str] | None = None,  # None: ungated, the cursor commits with the load
    ) -> None:
        self.state, self.column, self.key = state, column, key
        self.lookback = timedelta(seconds=lookback_seconds)
        self.gated = passed_loads is not None
        _settle_pending(state, passed_loads)
        saved = state.get(self.STATE_KEY) or _legacy(state.get(self.LEGACY_KEY))
        self.saved_at: datetime | None = datetime.fromisoformat(saved["at"]) if saved else None
        self.seen = pa.array(saved.get("seen", []) if saved else [], pa.string())
        self.max_read: datetime | None = None
        self.ceiling: datetime | None = None  # CRM clock − lookback, set by `start`
        self._tracked: list[pa.Table] = []  # (key, stamp) of every row read this run
        self._tracked_rows = 0

    def start(self, crm_now: datetime | None) -> datetime | None:
        """The instant to read from (None: everything); `crm_now` is the CRM's clock before the read."""
        self.ceiling = crm_now - self.lookback if crm_now is not None else None
        if self.saved_at is not None and self.ceiling is not None and self.saved_at > self.ceiling:
            self.saved_at = self.ceiling  # a cursor past the CRM's clock would never read again
        return self.saved_at - self.lookback if self.saved_at is not None else None

    def new_rows(self, table: pa.Table) -> pa.Table:
        """`table` without the row versions loaded before; remembers every row read for the next run."""
        if not table.num_rows:
            return table
        keys = _version_keys(table, self.key, self.column)
        self._track(keys, table[self.column])
        if len(self.seen):
            table = table.filter(pc.invert(pc.is_in(keys, value_set=self.seen)))
        return table

    def save(self) -> None:
        """Store the new cursor and the row versions at or after the next read's start."""
        at = self._next_at()
        if at is None:
            return
        tracked = self._tracked_table()
        fresh = tracked.filter(pc.greater_equal(tracked["stamp"], _scalar(at - self.lookback, tracked)))
        saved = {"at": at.isoformat(), "seen": pc.unique(fresh["key"]).to_pylist()}
        if self.gated:
            self.state[self.PENDING_KEY] = {**saved, "load": _load_id()}
            return
        self.state[self.STATE_KEY] = saved
        self.state.pop(self.LEGACY_KEY, None)

    # ---- internals -------------------------------------------------------------------------------
    def _next_at(self) -> datetime | None:
        """The newest modstamp read, never past the ceiling, never behind the saved cursor."""
        candidates = [self.max_read] if self.max_read is not None else []
        if candidates and self.ceiling is not None:
            candidates = [min(candidates[0], self.ceiling)]
        if self.saved_at is not None:
            candidates.append(self.saved_at)
        return max(candidates) if candidates else None

    def _track(self, keys: pa.Array, stamps: pa.ChunkedArray) -> None:
        page_max = pc.max(stamps).as_py()
        if page_max is not None and (self.max_read is None or page_max > self.max_read):
            self.max_read = page_max
        self._tracked.append(pa.table({"key": keys, "stamp": stamps.combine_chunks()}))
        self._tracked_rows += len(keys)
        if self._tracked_rows > _PRUNE_AT:
            self._prune()

    def _prune(self) -> None:
        """Drop rows behind the next read's start: it only moves forward, so they are never re-read."""
        at = self._next_at()
        tracked = self._tracked_table()
        if at is not None:
            tracked = tracked.filter(pc.greater_equal(tracked["stamp"], _scalar(at - self.lookback, tracked)))
        self._tracked, self._tracked_rows = [tracked], tracked.num_rows

    def _tracked_table(self) -> pa.Table:
        if not self._tracked:
            return pa.table(
                {"key": pa.array([], pa.string()), "stamp": pa.array([], pa.timestamp("us", "UTC"))}
            )
        return pa.concat_tables(self._tracked, promote_options="permissive").combine_chunks()


def _settle_pending(state: dict[str, Any], passed_loads: frozenset[str] | None) -> None:
    """Promote the pending cursor if its load passed the raw checks; otherwise forget it (re-read)."""
    pending = state.pop(Cursor.PENDING_KEY, None)
    if pending is None or passed_loads is None or pending.get("load") not in passed_loads:
        return
    state[Cursor.STATE_KEY] = {"at": pending["at"], "seen": pending["seen"]}
    state.pop(Cursor.LEGACY_KEY, None)


def _load_id() -> str:
    """The dlt load package being extracted: the one that carries this state."""
    import dlt

    return str(dlt.current.load_package_state()["load_id"])


def _version_keys(table: pa.Table, key: str, column: str) -> pa.Array:
    """`id|epoch-microseconds` of each row: one version of one record."""
    micros = pc.cast(pc.cast(table[column], pa.timestamp("us", "UTC")), pa.int64())
    stamps = pc.cast(pc.fill_null(micros, -1), pa.string())
    return pc.binary_join_element_wise(table[key], stamps, "|").combine_chunks()


def _scalar(moment: datetime, table: pa.Table) -> pa.Scalar:
    return pa.scalar(moment, table.schema.field("stamp").type)


def _legacy(saved: dict[str, Any] | None) -> dict[str, Any] | None:
    """A cursor saved before the lookback: the ids at its instant become versions at that instant."""
    if not saved:
        return None
    at = datetime.fromisoformat(saved["at"])
    micros = int(at.timestamp()) * 1_000_000 + at.microsecond
    return {"at": saved["at"], "seen": [f"{record_id}|{micros}" for record_id in saved.get("ids", [])]}
