"""The sandbox clock: wall time (or a fixed instant a test sets). Strict (the default), it moves at least
1 ms per reading so that modstamps order writes; not strict, it is what real orgs have: wall time, so
writes in one millisecond (or under a frozen clock) share one instant."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

ClockSource = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def frozen_at(moment: datetime) -> ClockSource:
    """A clock that stays at `moment`: modstamps a test can state exactly (writes may tie)."""
    return lambda: moment


def running_from(moment: datetime) -> ClockSource:
    """A clock that starts at `moment` and runs at wall-clock speed. Production time always moves:
    the search index catches up a few seconds after a write and the rate-limit windows roll over, which
    a frozen clock would stop for good (a sync then sees neither its own writes nor an end to 429s)."""
    started = time.monotonic()
    return lambda: moment + timedelta(seconds=time.monotonic() - started)


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

    def peek(self) -> datetime:
        """The time now, without ticking: what a clock on the wall shows (a response's `Date`)."""
        moment = self._source()
        if self._last_tick is not None and moment < self._last_tick:
            return self._last_tick
        return moment

    def set(self, source: ClockSource) -> None:
        self._source = source
        self._last_tick = None
