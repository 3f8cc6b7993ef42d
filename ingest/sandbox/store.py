"""The sandbox's whole state: one org document, indexed by id, persisted atomically.

The org file format is described in `shared/design/sandbox.md`: top-level `salesforce` (sobject name ->
list of records) and `hubspot` (object type -> list of records). In memory every collection is a dict
keyed by id so lookups and updates are O(1); insertion order is kept, so a dump round-trips.
"""

from __future__ import annotations

import gc
import itertools
import os
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

Record = dict[str, Any]

# Salesforce key prefixes for the objects the sandbox knows (sandbox.md).
SALESFORCE_KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
}


def salesforce_timestamp(moment: datetime) -> str:
    """Salesforce's wire format: 2026-01-05T09:00:00.000+0000."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def hubspot_timestamp(moment: datetime) -> str:
    """HubSpot's wire format: ISO-8601 with milliseconds and Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class OrgStore:
    """Holds the org in memory; every write marks it dirty and persists it (now or debounced).

    `persist_delay` = 0 writes the file before the write request is answered. A positive delay
    coalesces writes (a writeback of 50 batches against a 1M-record org would otherwise rewrite
    100 MB fifty times); `flush()` and `close()` always write what is pending.
    """

    def __init__(
        self,
        document: dict[str, Any] | None = None,
        path: Path | None = None,
        persist_delay: float = 0.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = path
        self.persist_delay = persist_delay
        self.lock = threading.RLock()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_tick: datetime | None = None
        self._dirty = False
        self._timer: threading.Timer | None = None
        self.generation = 0
        document = document or {}
        self.salesforce: dict[str, dict[str, Record]] = {
            name: {rec["Id"]: rec for rec in records}
            for name, records in (document.get("salesforce") or {}).items()
            if isinstance(records, list)
        }
        self.hubspot: dict[str, dict[str, Record]] = {
            name: {str(rec["id"]): rec for rec in records}
            for name, records in (document.get("hubspot") or {}).items()
            if isinstance(records, list)
        }
        # Non-list entries (e.g. hubspot "custom_properties") are kept verbatim.
        self.extras = {
            crm: {k: v for k, v in (document.get(crm) or {}).items() if not isinstance(v, list)}
            for crm in ("salesforce", "hubspot")
        }
        self.present = {crm for crm in ("salesforce", "hubspot") if crm in document}
        self._id_counter = itertools.count(self._max_numeric_suffix() + 1)

    @classmethod
    def load(cls, path: Path, persist_delay: float = 0.0) -> OrgStore:
        document = orjson.loads(Path(path).read_bytes()) if Path(path).exists() else {}
        store = cls(document, path=Path(path), persist_delay=persist_delay)
        # A big org is millions of long-lived objects: keep the garbage collector from rescanning
        # them on every allocation burst (about 25% of the sandbox's query time on 1M events).
        gc.freeze()
        return store

    # ---- clock -------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The sandbox clock, strictly increasing by at least 1 ms so modstamps order writes."""
        with self.lock:
            moment = self._clock()
            if self._last_tick is not None and moment <= self._last_tick:
                moment = datetime.fromtimestamp(self._last_tick.timestamp() + 0.001, UTC)
            self._last_tick = moment
            return moment

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        with self.lock:
            self._clock = clock
            self._last_tick = None

    # ---- ids ---------------------------------------------------------------------------------
    def _max_numeric_suffix(self) -> int:
        highest = 0
        for records in itertools.chain(self.salesforce.values(), self.hubspot.values()):
            for record_id in records:
                digits = "".join(ch for ch in record_id[3:15] if ch.isdigit())
                if record_id.isdigit():
                    highest = max(highest, int(record_id))
                elif digits:
                    highest = max(highest, int(digits))
        return highest

    def new_salesforce_id(self, sobject: str) -> str:
        prefix = SALESFORCE_KEY_PREFIXES.get(sobject, "a00")
        return f"{prefix}{next(self._id_counter):012d}AAA"

    def new_hubspot_id(self) -> str:
        return str(next(self._id_counter))

    # ---- persistence -------------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        with self.lock:
            document: dict[str, Any] = {}
            for crm, collections in (("salesforce", self.salesforce), ("hubspot", self.hubspot)):
                if crm in self.present or collections:
                    document[crm] = {name: list(records.values()) for name, records in collections.items()}
                    document[crm].update(self.extras.get(crm, {}))
            return document

    def mark_dirty(self) -> None:
        """Call after every write (API or direct edit); persists now or schedules a debounced persist.

        Bumps `generation`, which the APIs' cached query views compare against to notice edits.
        """
        with self.lock:
            self.generation += 1
            if self.path is None:
                return
            self._dirty = True
            if self.persist_delay <= 0:
                self._write()
            elif self._timer is None:
                self._timer = threading.Timer(self.persist_delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self.lock:
            self._timer = None
            if self._dirty:
                self._write()

    def close(self) -> None:
        with self.lock:
            if self._timer is not None:
                self._timer.cancel()
        self.flush()

    def _write(self) -> None:
        assert self.path is not None
        payload = orjson.dumps(self.document())
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, self.path)  # atomic: a reader sees the old or the new file, never half
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._dirty = False
