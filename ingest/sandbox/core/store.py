"""The sandbox's whole state: one org document, indexed by id, persisted atomically.

The org file format is described in `shared/design/sandbox.md`: one top-level section per CRM
(collection name -> list of records). Which sections exist and which key holds a record's id is the
subclass's `SECTIONS` (the CRM-neutral core names none). In memory every collection is a dict keyed
by id so lookups and updates are O(1); insertion order is kept, so a dump round-trips.
"""

from __future__ import annotations

import gc
import itertools
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import orjson

from ingest.sandbox.core.clock import ClockSource, SandboxClock

Record = dict[str, Any]


class OrgFileError(ValueError):
    """An org file the sandbox cannot load; the message is one line naming the file and the record."""


class DocumentStore:
    """Holds the org in memory; every write marks it dirty and persists it (now, per request, or debounced).

    A write made while answering an API call (inside `durable_writes()`, which the app wraps around
    every call) is on disk before that call is answered: one save per request, however many records
    it wrote, so an acknowledged write survives a `kill -9` right after its answer (issue 18 item 1).
    Outside a request (an admin's direct edit in a test), `persist_delay` = 0 writes at once and a
    positive delay coalesces edits; `flush()` and `close()` always write what is pending.
    """

    SECTIONS: ClassVar[Mapping[str, str]] = {}  # section (top-level key) -> the records' id field
    # Non-list keys a section may hold (settings, not collections); keys starting with "_" always may.
    SETTINGS: ClassVar[Mapping[str, frozenset[str]]] = {}

    def __init__(
        self,
        document: dict[str, Any] | None = None,
        path: Path | None = None,
        persist_delay: float = 0.0,
        clock: ClockSource | None = None,
    ) -> None:
        self.path = path
        self.persist_delay = persist_delay
        self.lock = threading.RLock()
        self._clock = SandboxClock(clock)
        self._dirty = False
        self._timer: threading.Timer | None = None
        self._requests = threading.local()  # per thread: depth of durable_writes() scopes
        self.generation = 0
        document = {} if document is None else document
        self.sections: dict[str, dict[str, dict[str, Record]]] = {
            section: {
                name: _indexed(records, id_field, f"{section}.{name}")
                for name, records in _section(document, section).items()
                if isinstance(records, list)
            }
            for section, id_field in self.SECTIONS.items()
        }
        # Non-list entries (e.g. a section's "custom_properties") are kept verbatim.
        self._check_settings(document)
        self.extras = {
            section: {k: v for k, v in (document.get(section) or {}).items() if not isinstance(v, list)}
            for section in self.SECTIONS
        }
        self.present = {section for section in self.SECTIONS if isinstance(document.get(section), dict)}
        self._id_counter = itertools.count(self._max_numeric_suffix() + 1)

    def _check_settings(self, document: dict[str, Any]) -> None:
        for section in self.SECTIONS:
            allowed = self.SETTINGS.get(section, frozenset())
            for name, value in _section(document, section).items():
                if not isinstance(value, list) and not name.startswith("_") and name not in allowed:
                    raise OrgFileError(
                        f"{section}.{name} must be a list of records, not {type(value).__name__}"
                    )

    @classmethod
    def load(cls, path: Path, persist_delay: float = 0.0) -> Self:
        """The org in `path` (empty when absent); OrgFileError names the file and the bad record."""
        raw = _read(Path(path)) if Path(path).exists() else b"{}"
        try:
            document = orjson.loads(raw)
            store = cls(document, path=Path(path), persist_delay=persist_delay)
        except orjson.JSONDecodeError as error:
            raise OrgFileError(f"org file {path} is not JSON ({error}); see docs/sandbox.md") from error
        except OrgFileError as error:
            raise OrgFileError(f"org file {path}: {error}") from error
        # A big org is millions of long-lived objects: keep the garbage collector from rescanning
        # them on every allocation burst (about 25% of the sandbox's query time on 1M events).
        gc.freeze()
        return store

    # ---- clock -------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The sandbox clock (strictly increasing by at least 1 ms unless `set_strict_clock(False)`)."""
        with self.lock:
            return self._clock.now()

    def clock_reading(self) -> datetime:
        """The sandbox clock without moving it (a reading is not a write: no modstamp needs it)."""
        with self.lock:
            return self._clock.peek()

    def set_clock(self, clock: ClockSource) -> None:
        with self.lock:
            self._clock.set(clock)

    def set_strict_clock(self, strict: bool) -> None:
        """Strict: every reading moves >= 1 ms (writes ordered); not strict: wall time (writes may tie)."""
        with self.lock:
            self._clock.strict = strict

    # ---- ids ---------------------------------------------------------------------------------
    def _max_numeric_suffix(self) -> int:
        highest = 0
        for records in itertools.chain.from_iterable(s.values() for s in self.sections.values()):
            for record_id in records:
                digits = "".join(ch for ch in record_id[3:15] if ch.isdigit())
                if record_id.isdigit():
                    highest = max(highest, int(record_id))
                elif digits:
                    highest = max(highest, int(digits))
        return highest

    def next_number(self) -> int:
        """The next number of the org's one id counter (each API formats its own ids from it)."""
        return next(self._id_counter)

    # ---- persistence -------------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        with self.lock:
            document: dict[str, Any] = {}
            for section, named in self.sections.items():
                if section in self.present or named:
                    document[section] = {name: list(records.values()) for name, records in named.items()}
                    document[section].update(self.extras.get(section, {}))
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
            if getattr(self._requests, "depth", 0):
                return  # saved once when the request's scope ends, before its answer
            if self.persist_delay <= 0:
                self._write()
            elif self._timer is None:
                self._timer = threading.Timer(self.persist_delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    @contextmanager
    def durable_writes(self) -> Iterator[None]:
        """Scope of one API call: its writes are saved (once) when it ends, before it is answered.

        A read-only call saves nothing. Runs even when the call raised (a fault that applies the
        write and then drops the answer still committed it).
        """
        depth = getattr(self._requests, "depth", 0)
        self._requests.depth = depth + 1
        try:
            yield
        finally:
            self._requests.depth = depth
            if depth == 0 and self._dirty:
                self.flush()

    def flush(self) -> None:
        with self.lock:
            if self._timer is not None:
                self._timer.cancel()
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
                handle.flush()
                os.fsync(handle.fileno())  # the bytes are on disk before the rename publishes them
            os.replace(tmp, self.path)  # atomic: a reader sees the old or the new file, never half
            _fsync_directory(self.path.parent)  # and the rename itself survives a power cut
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._dirty = False


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path) -> bytes:
    if path.is_dir():
        raise OrgFileError(f"org file {path} is a directory; pass the org's JSON file")
    try:
        return path.read_bytes()
    except OSError as error:  # unreadable (permissions, a broken mount): say so, not a traceback
        raise OrgFileError(f"org file {path} cannot be read ({error.strerror})") from error


def _section(document: Any, section: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise OrgFileError("the document must be a JSON object with one key per CRM")
    value = document.get(section)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OrgFileError(f"{section!r} must be an object of collection name -> list of records")
    return value


def _indexed(records: list[Any], id_field: str, where: str) -> dict[str, Record]:
    indexed: dict[str, Record] = {}
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise OrgFileError(f"{where}[{position}] is not an object (a record is a JSON object)")
        record_id = record.get(id_field)
        if record_id is None or record_id == "":
            raise OrgFileError(f"{where}[{position}] has no {id_field!r}: every record needs its id")
        if str(record_id) in indexed:  # merging them silently would drop one record's fields
            raise OrgFileError(
                f"{where}[{position}] repeats {id_field} {str(record_id)!r}: every {id_field} is unique;"
                " remove or renumber one of the two records"
            )
        indexed[str(record_id)] = record
    return indexed
