"""The HTTP layer: token bucket, retry policy, budget reader and governor on their own (a fake clock
stands in for time, so nothing sleeps), then the layer inside the real clients against the sandbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from ingest.errors import CrmUnreachableError
from ingest.http import (
    BudgetExceededError,
    BudgetGovernor,
    RetryPolicy,
    TokenBucket,
    Transient,
    daily_allowance,
    with_retries,
)
from ingest.hubspot import HubSpotClient
from ingest.salesforce.helpers import connect
from ingest.sandbox_settings import hubspot_config, salesforce_config
from tests.conftest import StartSandbox


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_token_bucket_allows_its_burst_then_paces_at_its_rate() -> None:
    time = FakeTime()
    search = TokenBucket(rate=5, capacity=5, clock=time.clock, sleep=time.sleep)

    waits = [search.acquire() for _ in range(8)]

    assert waits[:5] == [0, 0, 0, 0, 0]  # HubSpot search: 5 in the first second
    assert [round(w, 6) for w in waits[5:]] == [0.2, 0.2, 0.2]  # then one every 1/5 s
    assert time.now == pytest.approx(1000.6)


def test_token_bucket_refills_while_idle_but_never_above_capacity() -> None:
    time = FakeTime()
    window = TokenBucket(rate=10, capacity=100, clock=time.clock, sleep=time.sleep)  # 100 per 10 s
    for _ in range(100):
        window.acquire()
    assert time.sleeps == []
    time.now += 3.0  # 3 s idle: 30 tokens back

    waits = [window.acquire() for _ in range(31)]

    assert waits[:30] == [0] * 30 and round(waits[30], 6) == 0.1
    time.now += 3600  # a long pause refills to the burst size, not beyond
    assert sum(window.acquire() for _ in range(100)) == 0
    assert window.acquire() == pytest.approx(0.1)


def test_token_bucket_follows_the_servers_remaining_count() -> None:
    time = FakeTime()
    window = TokenBucket(rate=10, capacity=100, clock=time.clock, sleep=time.sleep)

    window.limit_to(1)  # X-HubSpot-RateLimit-Remaining: 1 (another app spent the window)

    assert window.acquire() == 0
    assert window.acquire() == pytest.approx(0.1)


def test_retry_policy_backs_off_exponentially_and_honours_retry_after() -> None:
    policy = RetryPolicy(tries=6, base_seconds=0.5, max_seconds=60)
    assert [policy.delay(n, None) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert policy.delay(1, 7.0) == 7.0  # Retry-After wins over the backoff
    assert policy.delay(3, 0.0) == 0.0
    assert policy.delay(9, None) == 60.0 and policy.delay(1, 3600) == 60.0  # capped


def test_with_retries_retries_transients_then_raises_the_clients_error() -> None:
    time = FakeTime()
    failures = [Transient("HTTP 503"), Transient("HTTP 429", rate_limited=True, retry_after=2.0)]

    def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "page"

    assert with_retries(flaky, RetryPolicy(tries=3, base_seconds=0.5), _exhausted, time.sleep) == "page"
    assert time.sleeps == [0.5, 2.0]

    def down() -> str:
        raise Transient("ConnectionError")

    with pytest.raises(CrmUnreachableError, match="kept failing \\(ConnectionError\\) after 3 tries"):
        with_retries(down, RetryPolicy(tries=3, base_seconds=0.5), _exhausted, time.sleep)
    assert time.sleeps == [0.5, 2.0, 0.5, 1.0]  # no wait after the last try


def test_with_retries_does_not_retry_a_final_error() -> None:
    calls = []

    def refused() -> str:
        calls.append(1)
        raise CrmUnreachableError("TLS handshake failed")

    with pytest.raises(CrmUnreachableError, match="TLS"):
        with_retries(refused, RetryPolicy(tries=5), _exhausted, FakeTime().sleep)
    assert len(calls) == 1


def _exhausted(last: Transient) -> CrmUnreachableError:
    return CrmUnreachableError(f"kept failing ({last.reason}) after 3 tries")


def test_daily_allowance_is_read_from_either_crms_headers() -> None:
    assert daily_allowance({"Sforce-Limit-Info": "api-usage=14990/15000"}) == (10, 15000)
    assert daily_allowance({"Sforce-Limit-Info": "api-usage=15007/15000"}) == (0, 15000)
    hubspot = {"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": "249990"}
    assert daily_allowance(hubspot) == (249990, 250000)
    assert daily_allowance({"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "99"}) is None


def test_governor_stops_before_the_run_cuts_into_the_reserve() -> None:
    governor = BudgetGovernor("salesforce", reserve=0.2, setting="cadence.api_budget_reserve")
    governor.check()  # nothing known yet (before the first response): the call goes out
    governor.observe(remaining=10, limit=15000)  # the run may spend 8 of the 10 left
    for remaining in range(10, 2, -1):
        governor.observe(remaining, 15000)
        governor.check()
    governor.observe(2, 15000)

    with pytest.raises(BudgetExceededError) as stopped:
        governor.check()

    message = str(stopped.value)
    assert "\n" not in message and "cadence.api_budget_reserve" in message
    assert "more than 80% of the 10 API calls left today (of 15,000)" in message


def test_governor_refuses_a_reserve_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match=r"cadence\.api_budget_reserve"):
        BudgetGovernor("hubspot", reserve=1.0, setting="cadence.api_budget_reserve")


# ---- over real HTTP against the sandbox ---------------------------------------------------------
def test_hubspot_search_is_paced_to_five_a_second(start_sandbox: StartSandbox) -> None:
    running = start_sandbox({"hubspot": {"companies": []}})
    client = HubSpotClient(hubspot_config(running), retry_base_seconds=0.001)
    body = {"filterGroups": [], "sorts": [], "properties": ["name"], "limit": 1}
    started = time.monotonic()
    for _ in range(8):
        client.search("companies", body)
    elapsed = time.monotonic() - started
    client.request("GET", "/crm/v3/properties/companies")  # another class: not held up by search
    client.close()

    assert 0.6 <= elapsed < 2.0  # 5 at once, then one every 0.2 s
    assert running.counters["hubspot.search.companies"] == 8 and client.calls == 9


def test_hubspot_client_paces_to_the_window_the_portal_states(start_sandbox: StartSandbox) -> None:
    running = start_sandbox({"hubspot": {"companies": [], "_behaviour": {"rate_limits": True}}})
    client = HubSpotClient(hubspot_config(running))  # the setting's default: a Free portal's 100 per 10 s
    window = client.rate_limits["standard"]
    assert window.limit == 100
    client.request("GET", "/crm/v3/properties/companies")
    assert (window.limit, window.rate) == (190, 19.0)  # the realistic portal is a Professional one
    running.control("POST", "/__sandbox/hubspot/behaviour", {"per_ten_seconds": 3})
    client.request("GET", "/crm/v3/properties/companies")
    assert window.limit == 3
    client.search("companies", {"filterGroups": [], "sorts": [], "properties": ["name"], "limit": 1})
    assert window.limit == 3 and client.rate_limits["search"].limit == 5  # search states no window
    client.close()


def test_salesforce_budget_and_clock_are_read_from_its_responses(start_sandbox: StartSandbox) -> None:
    running = start_sandbox({"salesforce": {"Account": []}})
    running.control("POST", "/__sandbox/salesforce/api_budget", {"used": 14_000})
    governor = BudgetGovernor("salesforce", 0.2, "cadence.api_budget_reserve")
    before = datetime.now(UTC).replace(microsecond=0)

    client = connect(salesforce_config(running), RetryPolicy(base_seconds=0.001), governor)
    client.field_names("Account")

    # The token call is not an API call (it reports 1,000 left); the describe is the 14,001st.
    assert (governor.at_start, governor.remaining, governor.limit) == (1000, 999, 15_000)
    now = client.server_now()
    assert now is not None and before <= now <= datetime.now(UTC) + timedelta(seconds=1)
