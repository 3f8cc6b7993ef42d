"""Pacing to a rolling window: at most `limit` requests in any `window_seconds`, as HubSpot counts them.

HubSpot's limits are windows, not rates: search allows 5 requests in a second (policy SECONDLY), the
other endpoints 100 or 190 in a rolling 10 seconds (policy TEN_SECONDLY_ROLLING)
(https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines). A token bucket of
the same rate and burst lets more than `limit` through some window (a full burst, then one more token
a fifth of a second later: six searches inside one second, a 429), and pacing by send times alone
still overruns it when one request takes longer to reach the server than the next ones.

So this limiter counts a request from when it is sent until a full window after its answer came
back: the server counted it at some moment in between, so a request sent once `limit` earlier ones
have all left the window (or are still under way) can never be the server's `limit + 1`-th, whatever
the network did. Bursts up to `limit` still go at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]

# Clocks tick at slightly different speeds and read at different points of a request: a little slack.
MARGIN_SECONDS = 0.01
_SAME_LENGTH = 1e-6  # seconds: two windows this close are one length (a header's milliseconds)


class RollingWindow:
    """Thread-safe. `acquire()` before each request and `finished()` after it (answer or failure):
    ingest.http.ApiSession does both. Also has TokenBucket's `limit_to`, `rate` and `waited`."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        margin_seconds: float = MARGIN_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rolling window needs limit >= 1 and window_seconds > 0")
        self.limit, self.window = limit, window_seconds + margin_seconds
        self.rate = limit / window_seconds  # the nominal rate, for the logs and the settings' tests
        self._margin = margin_seconds
        self._clock = clock
        self._ended: deque[float] = deque()  # when answered, for requests answered inside the window
        self._under_way = 0
        self._changed = threading.Condition()
        self.waited = 0.0  # seconds spent waiting, for the logs and the tests

    def acquire(self) -> float:
        """Wait until one more request cannot overrun the window, then count it; the seconds waited."""
        with self._changed:
            started = now = self._expire()
            while len(self._ended) + self._under_way >= self.limit:
                # The oldest answered request leaves the window then; one under way may finish first.
                self._changed.wait(self._ended[0] + self.window - now if self._ended else None)
                now = self._expire()
            self._under_way += 1
            self.waited += now - started
            return now - started

    def finished(self) -> None:
        with self._changed:
            self._under_way -= 1
            self._ended.append(self._clock())
            self._changed.notify_all()

    def follow(self, limit: int, window_seconds: float) -> None:
        """The server states its window, `limit` requests in `window_seconds`: from now on this
        window's limit, when it is a window of this one's length (a statement about another window,
        say the 10-second one on a search answer, is not about this one and changes nothing)."""
        if limit < 1 or abs(window_seconds - (self.window - self._margin)) > _SAME_LENGTH:
            return
        with self._changed:
            self.limit, self.rate = limit, limit / window_seconds
            self._changed.notify_all()  # a higher limit may let a waiting request go

    def limit_to(self, remaining: int) -> None:
        """The server says only `remaining` calls are left in its window (others spent some): count the
        calls we did not make as answered now, so we send no more than `remaining` before they leave."""
        with self._changed:
            now = self._expire()
            for _ in range(self.limit - max(remaining, 0) - len(self._ended) - self._under_way):
                self._ended.append(now)

    def _expire(self) -> float:
        now = self._clock()
        while self._ended and now - self._ended[0] >= self.window:
            self._ended.popleft()
        return now
