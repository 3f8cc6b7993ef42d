"""The sandbox clock: wall time (or a fixed instant a test sets). Strict (the default), it moves at least
1 ms per reading so that modstamps order writes; not strict, it is what real orgs have: wall time, so
writes in one millisecond (or under a frozen clock) share one instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

ClockSource = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SandboxClock:
    """Not thread-safe on its own: the store calls it under its lock."""

    def __init__(self, source: ClockSource | None = None, strict: bool = True) -> None:
        self._source = source or utc_now
        self._last_tick: datetime | None = None
        self.strict = strict

    def now(self) -> datetime:
        moment = self._source()
        if not self.strict:
            return moment
        if self._last_tick is not None and moment <= self._last_tick:
            moment = datetime.fromtimestamp(self._last_tick.timestamp() + 0.001, UTC)
        self._last_tick = moment
        return moment

    def set(self, source: ClockSource) -> None:
        self._source = source
        self._last_tick = None
