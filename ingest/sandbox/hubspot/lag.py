"""The search index's lag behind writes (Behaviour.search_lag_seconds): search answers from the version
of each record the index holds, which trails the object store for a few seconds after a write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ingest.sandbox.core.store import Record

Column = Mapping[str, Any]


class SearchIndexLag:
    """Per object type: id -> (when search sees the write, the version it sees until then or None)."""

    def __init__(self) -> None:
        self._pending: dict[str, dict[str, tuple[datetime, Record | None]]] = {}

    def created(self, object_type: str, record_id: str, visible_at: datetime | None) -> None:
        if visible_at is not None:
            self._pending.setdefault(object_type, {})[record_id] = (visible_at, None)

    def changed(self, object_type: str, record: Record, visible_at: datetime | None) -> None:
        """Before `record` changes: search keeps its current version (the oldest unindexed one)."""
        if visible_at is None:
            return
        pending = self._pending.setdefault(object_type, {})
        entry = pending.get(record["id"])
        if entry is not None:
            snapshot = entry[1]
        else:
            snapshot = {**record, "properties": dict(record.get("properties") or {})}
        pending[record["id"]] = (visible_at, snapshot)

    def pending(self, object_type: str, now: datetime) -> dict[str, Record | None]:
        """{id: indexed version (None: not indexed yet)} of the writes search does not see at `now`."""
        entries = self._pending.get(object_type)
        if not entries:
            return {}
        for record_id in [i for i, (visible_at, _) in entries.items() if visible_at <= now]:
            del entries[record_id]
        return {record_id: snapshot for record_id, (_, snapshot) in entries.items()}

    def waiting(self, object_type: str) -> bool:
        """Whether any write of this type may still be unseen (cheap: no clock reading)."""
        return bool(self._pending.get(object_type))

    def forget(self, object_type: str, record_id: str) -> None:
        self._pending.get(object_type, {}).pop(record_id, None)


class Overlay(Mapping[str, Any]):
    """A search column as the index sees it: pending records' values from their indexed version."""

    def __init__(self, current: Column, indexed: Column, pending: Mapping[str, Any]) -> None:
        self._current, self._indexed, self._pending = current, indexed, pending

    def __getitem__(self, record_id: str) -> Any:
        return (self._indexed if record_id in self._pending else self._current)[record_id]

    def __contains__(self, record_id: object) -> bool:
        return record_id in (self._indexed if record_id in self._pending else self._current)

    def __iter__(self) -> Iterator[str]:
        yield from (i for i in self._current if i not in self._pending)
        yield from self._indexed

    def __len__(self) -> int:
        return sum(1 for _ in self)
