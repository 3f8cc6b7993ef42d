"""The sandbox clock: wall time (or a fixed instant a test sets), strictly increasing by at least 1 ms
so that modstamps order writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

ClockSource = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SandboxClock:
    """Not thread-safe on its own: the store calls it under its lock."""

    def __init__(self, source: ClockSource | None = None) -> None:
        self._source = source or utc_now
        self._last_tick: datetime | None = None

    def now(self) -> datetime:
        moment = self._source()
        if self._last_tick is not None and moment <= self._last_tick:
            moment = datetime.fromtimestamp(self._last_tick.timestamp() + 0.001, UTC)
        self._last_tick = moment
        return moment

    def set(self, source: ClockSource) -> None:
        self._source = source
        self._last_tick = None
