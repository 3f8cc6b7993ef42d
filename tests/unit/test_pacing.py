"""The rolling-window limiter (ingest/pacing.py) on the real clock with short windows: lower bounds only,
so a loaded machine cannot make them flaky."""

from __future__ import annotations

import threading
import time

from ingest.http import stated_window
from ingest.pacing import RollingWindow

WINDOW = 0.3


def test_a_burst_of_the_limit_goes_at_once_then_the_next_waits_a_window_after_the_first_answer() -> None:
    window = RollingWindow(3, WINDOW, margin_seconds=0)
    before_first_answer = time.monotonic()
    for _ in range(3):
        assert window.acquire() == 0
        window.finished()
    window.acquire()
    assert time.monotonic() - before_first_answer >= WINDOW
    assert window.waited > 0 and window.rate == 3 / WINDOW


def test_a_request_still_under_way_holds_its_place_until_a_window_after_its_answer() -> None:
    window = RollingWindow(1, WINDOW, margin_seconds=0)
    window.acquire()  # a slow request: the server may count it at any moment until it answers
    acquired_at: list[float] = []
    waiter = threading.Thread(target=lambda: (window.acquire(), acquired_at.append(time.monotonic())))
    waiter.start()
    time.sleep(0.2)
    assert acquired_at == []  # blocked while the first is under way, however long it takes
    answered = time.monotonic()
    window.finished()
    waiter.join(timeout=10)
    assert acquired_at and acquired_at[0] - answered >= WINDOW


def test_the_servers_remaining_count_holds_back_calls_others_made() -> None:
    window = RollingWindow(5, WINDOW, margin_seconds=0)
    window.acquire()
    started = time.monotonic()
    window.limit_to(1)  # X-HubSpot-RateLimit-Remaining: 1 (another app spent 3 of the window)
    window.finished()
    assert window.acquire() == 0  # the one left
    window.finished()
    window.acquire()
    assert time.monotonic() - started >= WINDOW


# ---- on a fake clock: the exact edges, no waiting ----------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sent_and_answered(window: RollingWindow, clock: FakeClock, at: float) -> float:
    clock.now = at
    waited = window.acquire()
    window.finished()
    return waited


def test_a_request_leaves_the_window_exactly_one_window_after_its_answer() -> None:
    clock = FakeClock()
    window = RollingWindow(2, 10.0, margin_seconds=0, clock=clock)
    assert sent_and_answered(window, clock, 0.0) == 0
    assert sent_and_answered(window, clock, 1.0) == 0
    # At t=10 the first answer (t=0) is a full window old: the third request goes without waiting.
    assert sent_and_answered(window, clock, 10.0) == 0
    assert window.waited == 0


def test_the_servers_remaining_count_is_spent_as_answers_received_now() -> None:
    clock = FakeClock()
    window = RollingWindow(5, 10.0, margin_seconds=0, clock=clock)
    window.limit_to(-3)  # a negative header counts as none left: the whole window is spent
    assert len(window._ended) == 5
    clock.now = 10.0  # ... until a window later
    assert [window.acquire() for _ in range(5)] == [0] * 5


def test_a_window_needs_a_limit_and_a_length() -> None:
    for limit, seconds in ((0, 1.0), (1, 0.0)):
        try:
            RollingWindow(limit, seconds)
        except ValueError as error:
            assert "limit >= 1 and window_seconds > 0" in str(error)
        else:
            raise AssertionError(f"RollingWindow({limit}, {seconds}) was accepted")


def test_the_window_the_server_states_replaces_the_configured_one() -> None:
    clock = FakeClock()
    window = RollingWindow(2, 10.0, margin_seconds=0, clock=clock)  # the setting: a Free portal's pace
    assert [sent_and_answered(window, clock, 0.0) for _ in range(2)] == [0, 0]
    window.follow(4, 10.0)  # X-HubSpot-RateLimit-Max: 4 per 10,000 ms
    assert [sent_and_answered(window, clock, 0.0) for _ in range(2)] == [0, 0]  # two more in the window
    assert window.limit == 4 and window.rate == 0.4
    window.follow(0, 10.0)  # a nonsense statement is ignored
    window.follow(190, 1.0)  # a statement about a window of another length is not about this one
    assert window.limit == 4


def test_the_stated_window_is_read_from_hubspots_rate_limit_headers() -> None:
    interval = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    assert stated_window({"X-HubSpot-RateLimit-Max": "190", **interval}) == (190, 10.0)
    assert stated_window({"X-HubSpot-RateLimit-Max": "190"}) is None  # no interval: no window
    assert stated_window({"X-HubSpot-RateLimit-Max": "0", **interval}) is None
    assert stated_window({}) is None  # search answers, Salesforce
