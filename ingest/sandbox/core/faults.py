"""Fault injection: faults a test arms on the control surface; the app fires them on matching calls.

What a fault answers is each API's own error body (its `fault_response` hook); only a dropped
connection is the core's.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Fault:
    """One injected fault. It lets `after` matching calls through, then fires `times` times.

    kind: status_429 | status_503 | request_limit (the daily API allowance spent) |
    expired_session (every issued session invalidated; a static token answers 401) | drop_connection |
    drop_after_apply (the call runs and commits its writes, then the connection closes before any byte
    of the answer: "applied but response lost", the case that makes a blind retry of a write create
    duplicates) | fail_record (a batch handler fails the record at index `record`).
    """

    kind: str
    endpoint: str = "*"  # fnmatch pattern on the route name, e.g. "<api>.query*"
    after: int = 0
    times: int = 1
    record: int = 0
    retry_after: int = 1  # seconds, for status_429
    seen: int = 0
    fired: int = 0

    KINDS = frozenset(
        {
            "status_429",
            "status_503",
            "request_limit",
            "expired_session",
            "drop_connection",
            "drop_after_apply",
            "fail_record",
        }
    )

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(self.KINDS)}")


# Faults that replace a whole call's answer (fail_record is taken by the batch handlers themselves).
CALL_FAULTS = Fault.KINDS - {"fail_record"}


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, route_name: str, kinds: set[str]) -> Fault | None:
        """The fault of one of `kinds` that fires on this call of `route_name`, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fnmatch.fnmatchcase(route_name, fault.endpoint):
                    continue
                if fault.fired >= fault.times:
                    continue
                fault.seen += 1
                if fault.seen > fault.after:
                    fault.fired += 1
                    return fault
            return None
