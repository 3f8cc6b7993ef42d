"""Incremental cursors that re-read the boundary instant (`>=`) without loading its rows twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


class CursorBoundary:
    """Drops rows already loaded at the cursor's last value, vectorised (dlt's own dedup hashes per row).

    The SOQL filter is `>=` the last cursor, so rows stamped exactly at that instant come again; the
    ids loaded at that instant are kept in the resource state (`ids`, `at`) and filtered out here. Bulk
    updates stamp thousands of records with one modstamp, so this runs in Arrow, not per record.
    """

    STATE_KEY = "cursor_boundary"

    def __init__(self, state: dict[str, Any], cursor: str, key: str) -> None:
        self.state, self.cursor, self.key = state, cursor, key
        saved = state.get(self.STATE_KEY) or {}
        self.loaded_at: datetime | None = datetime.fromisoformat(saved["at"]) if saved else None
        self.loaded_ids = pa.array(saved.get("ids", []), pa.string())
        self.max_at: datetime | None = None
        self.ids_at_max: list[pa.Array] = []

    def new_rows(self, table: pa.Table) -> pa.Table:
        """`table` without the rows loaded before; remembers the ids at the newest cursor value."""
        if self.loaded_at is not None and len(self.loaded_ids):
            at_boundary = pc.equal(
                table[self.cursor], pa.scalar(self.loaded_at, table.schema.field(self.cursor).type)
            )
            seen = pc.and_(at_boundary, pc.is_in(table[self.key], value_set=self.loaded_ids))
            table = table.filter(pc.invert(seen))
        if table.num_rows:
            self._track(table)
        return table

    def _track(self, table: pa.Table) -> None:
        page_max = pc.max(table[self.cursor])
        if self.max_at is None or page_max.as_py() > self.max_at:
            self.max_at, self.ids_at_max = page_max.as_py(), []
        if page_max.as_py() == self.max_at:
            self.ids_at_max.append(
                table.filter(pc.equal(table[self.cursor], page_max))[self.key].combine_chunks()
            )

    def save(self) -> None:
        """Record the ids at the new cursor value (with the earlier ones when the value did not move)."""
        if self.max_at is None:
            return  # nothing new: the saved boundary still holds
        ids = pa.concat_arrays(self.ids_at_max) if self.ids_at_max else pa.array([], pa.string())
        if self.max_at == self.loaded_at:
            ids = pa.concat_arrays([self.loaded_ids, ids])
        self.state[self.STATE_KEY] = {"at": self.max_at.isoformat(), "ids": pc.unique(ids).to_pylist()}
