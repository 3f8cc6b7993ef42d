"""The one HTTP layer of both CRM clients: session, retry policy, rate limiter, budget reader, counters.

`ApiSession` is the requests session every CRM call goes through (simple-salesforce is handed it, the
HubSpot client uses it directly). Before each request it applies the API budget governor and waits for
a token of the request's endpoint class; after each response it counts the call and reads what the
CRM says about its limits and its clock. `with_retries` is the one retry/backoff loop: the clients turn
an attempt's failure into `Transient` (retry) or a one-line CadenceError (stop), and it honours
Retry-After. Both clients treat 429, 5xx and a dropped connection (`DROPPED`) as transient, with one
exception the caller states per call (`idempotent=False`, never guessed from the method): a request
that is not safe to repeat (a create) is never resent once it may have reached the CRM. `dropped()`
turns such a failure into `AnswerLost`, and the caller (the writeback) asks the CRM what it holds.
Reads, searches (POSTs too), updates by id and upserts by External ID are idempotent and resent.

Vendor limits modelled here:
- HubSpot: search endpoints allow 5 requests/second per portal (they do not send rate-limit headers);
  every other endpoint shares a per-10-second window of 100 (Free/Starter) or 190 (Professional/
  Enterprise) requests per private app, reported in `X-HubSpot-RateLimit-Max/-Remaining/
  -Interval-Milliseconds`, and a daily allowance in `X-HubSpot-RateLimit-Daily/-Daily-Remaining`
  (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details).
- Salesforce: no per-second limit for API requests, only a rolling 24-hour allowance per org, reported
  on every REST response as `Sforce-Limit-Info: api-usage=used/limit`
  (https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/
  salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ingest.errors import CadenceError

logger = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]

# Network failures after which an idempotent read is simply sent again.
DROPPED = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# A gateway answering for an upstream that did not answer in time (502 Bad Gateway, 504 Gateway Timeout,
# RFC 9110 §15.6.3/§15.6.5) says nothing about whether the CRM applied the request.
GATEWAY_STATUS = frozenset({502, 504})


# ---- retry policy ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: waits base, 2·base, 4·base, … capped; Retry-After wins."""

    tries: int = 6
    base_seconds: float = 0.5  # tests use a tiny base
    max_seconds: float = 60.0

    def delay(self, failed_attempts: int, retry_after: float | None) -> float:
        """The wait after the `failed_attempts`-th failure (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_seconds)
        return min(self.base_seconds * 2 ** (failed_attempts - 1), self.max_seconds)


class Transient(Exception):
    """A failure worth retrying; `rate_limited` decides which error is raised once tries run out."""

    def __init__(self, reason: str, rate_limited: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rate_limited = rate_limited
        self.retry_after = retry_after


def with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    exhausted: Callable[[Transient], CadenceError],
    sleep: Sleep = time.sleep,
) -> T:
    """`attempt()` until it returns; a `Transient` is retried per `policy`, then `exhausted(last)` raised."""
    for number in range(1, policy.tries + 1):
        try:
            return attempt()
        except Transient as transient:
            if number == policy.tries:
                raise exhausted(transient) from transient
            wait = policy.delay(number, transient.retry_after)
            logger.info("CRM call failed (%s); retry %d in %.2f s", transient.reason, number, wait)
            sleep(wait)
    raise AssertionError("unreachable: policy.tries >= 1")


# ---- requests that must not be resent ----------------------------------------------------------
class AnswerLost(CadenceError):
    """A request that is not safe to repeat (a create) failed after it may have reached the CRM.

    It may have been applied: this layer does not resend it; the caller looks up what the CRM holds.
    """


def may_have_arrived(error: BaseException) -> bool:
    """Whether a request that failed with `error` may have reached the server.

    A refused connection, a failed DNS lookup or a connect timeout never sent a byte of the request;
    a reset, a read timeout or an answer cut short happened after it was sent.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)


def lost_answer(reason: str, may_be_applied: bool, idempotent: bool, what: str) -> AnswerLost | None:
    """`AnswerLost` when a request that is not safe to repeat failed in a way that may have applied
    it (the connection dropped after sending, a gateway's 502/504); None: retry it as usual."""
    if idempotent or not may_be_applied:
        return None
    return AnswerLost(f"{what}: {reason} after the request was sent, so it may have been applied; not resent")


def stated_window(headers: Mapping[str, str]) -> tuple[int, float] | None:
    """The window a HubSpot answer states for its app: `X-HubSpot-RateLimit-Max` requests per
    `X-HubSpot-RateLimit-Interval-Milliseconds` (the app's own limit, 100 or 190 per 10 s by tier:
    https://developers.hubspot.com/changelog/2018-11-06-rate-limit-information-headers-will-be-included-in-http-responses,
    https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines). The client paces to
    it from the first answer on, so a Professional portal is read at 190 whatever the setting said
    (and a setting above a Free portal's 100 is corrected before it draws 429s). None when absent
    (search answers carry no such headers; Salesforce has no window)."""
    limit = headers.get("X-HubSpot-RateLimit-Max", "")
    interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "")
    if not (limit.isdigit() and interval.isdigit()) or int(limit) < 1 or int(interval) < 1:
        return None
    return int(limit), int(interval) / 1000


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """Retry-After in seconds (HTTP allows an HTTP-date too; CRMs send seconds), or None."""
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# ---- rate limiter -------------------------------------------------------------------------------
class TokenBucket:
    """`rate` requests a second on average, bursts up to `capacity`; thread-safe, clock injectable."""

    def __init__(
        self, rate: float, capacity: float, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs rate > 0 and capacity >= 1")
        self.rate, self.capacity = rate, float(capacity)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(capacity)
        self._updated = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for the logs and the tests

    def acquire(self) -> float:
        """Take one token, sleeping until one is there; the seconds slept."""
        with self._lock:  # one waiter at a time keeps the order of requests and the accounting exact
            self._refill()
            wait = 0.0
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                self._sleep(wait)
                self._refill()
            self._tokens = max(self._tokens - 1, 0.0)
            self.waited += wait
            return wait

    def finished(self) -> None:
        """A request is answered: nothing to do, a bucket paces sends only (ingest.pacing paces answers)."""

    def follow(self, limit: int, window_seconds: float) -> None:
        """The server states its window, `limit` requests in `window_seconds`: the burst (and the rate)
        from now on, when it is a window of this bucket's length (capacity / rate)."""
        if limit >= 1 and abs(window_seconds - self.capacity / self.rate) <= 1e-6:
            with self._lock:
                self._refill()
                self.rate, self.capacity = limit / window_seconds, float(limit)

    def limit_to(self, remaining: int) -> None:
        """The server says only `remaining` calls are left in its window: never burst past that."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, float(max(remaining, 0)))

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now


# ---- API budget -----------------------------------------------------------------------------------
class BudgetExceededError(CadenceError):
    """The run stopped reading to leave the CRM's daily allowance to the org's other integrations."""


_SFORCE_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


def daily_allowance(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """(remaining, limit) of the daily API allowance the response reports, or None."""
    usage = _SFORCE_USAGE.search(headers.get("Sforce-Limit-Info", ""))
    if usage:
        used, limit = int(usage.group(1)), int(usage.group(2))
        return max(limit - used, 0), limit
    daily, remaining = (
        headers.get("X-HubSpot-RateLimit-Daily"),
        headers.get("X-HubSpot-RateLimit-Daily-Remaining"),
    )
    if daily and remaining and daily.isdigit() and remaining.isdigit():
        return int(remaining), int(daily)
    return None


class BudgetGovernor:
    """Stops a run before it would spend more than (1 - reserve) of the allowance left at its start.

    The allowance is the CRM's own count (it includes other integrations' calls made meanwhile), read
    from the responses; until the first response reports it, nothing is known and nothing is stopped.
    """

    def __init__(self, crm: str, reserve: float, setting: str) -> None:
        if not 0 <= reserve < 1:
            raise ValueError(f"{setting} must be at least 0 and below 1, not {reserve}")
        self.crm, self.reserve, self.setting = crm, reserve, setting
        self.at_start: int | None = None  # remaining allowance when the run began
        self.remaining: int | None = None
        self.limit: int | None = None
        self._lock = threading.Lock()

    def observe(self, remaining: int, limit: int) -> None:
        with self._lock:
            if self.at_start is None:
                self.at_start = remaining
            self.remaining, self.limit = remaining, limit

    def check(self) -> None:
        """Raise BudgetExceededError when one more call would cut into the others' share."""
        with self._lock:
            if self.at_start is None or self.remaining is None:
                return
            floor = self.at_start * self.reserve
            if self.remaining - 1 >= floor:
                return
            raise BudgetExceededError(
                f"{self.crm}: stopped reading before the run would use more than {1 - self.reserve:.0%} of "
                f"the {self.at_start:,} API calls left today (of {self.limit:,}); nothing was loaded and the "
                f"next run resumes: raise the allowance, wait for it to reset, or lower {self.setting}"
            )


BUDGET_SETTING = "cadence.api_budget_reserve"  # orchestration.settings.RunSettings.api_budget_reserve


def governor(crm: str, reserve: float | None) -> BudgetGovernor | None:
    """The governor of one CRM's sync; None (no reserve given): reads are not governed."""
    return None if reserve is None else BudgetGovernor(crm, reserve, BUDGET_SETTING)


# ---- the session ----------------------------------------------------------------------------------
EndpointClass = Callable[[str, str], str]  # (method, url) -> the name of its rate-limit bucket


class PinnedCASession(requests.Session):
    """A requests session whose `verify` wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.

    requests lets those environment variables override `session.verify`, so a client told to trust
    the sandbox's CA would silently fall back to the system bundle and fail the TLS handshake.
    """

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if isinstance(self.verify, str) and verify in (None, True):
            settings["verify"] = self.verify
        return settings


class ApiSession(PinnedCASession):
    """Every CRM request: governed, paced and counted; the CRM's limits and clock read from each answer.

    Thread-safe: the prefetching reader and the caller share it. `last_response()` is per thread,
    because simple-salesforce's exceptions drop the response headers (Retry-After).
    """

    def __init__(
        self,
        buckets: Mapping[str, TokenBucket] | None = None,
        endpoint_class: EndpointClass | None = None,
        budget: BudgetGovernor | None = None,
    ) -> None:
        super().__init__()
        self.buckets = dict(buckets or {})
        self.endpoint_class = endpoint_class or (lambda method, url: "standard")
        self.budget = budget
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # responses received, per endpoint class
        self._server_now: datetime | None = None
        self._seen = threading.local()
        self.hooks["response"].append(self._observe)

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kind = self.endpoint_class(str(method).upper(), str(url))
        if self.budget is not None:
            self.budget.check()
        bucket = self.buckets.get(kind)
        if bucket is not None:
            bucket.acquire()
        self._seen.response, self._seen.kind = None, kind
        try:
            return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            if bucket is not None:
                bucket.finished()

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        kind = getattr(self._seen, "kind", "standard")
        self._seen.response = response
        with self._lock:
            self.calls[kind] += 1
            moment = _http_date(response.headers.get("Date"))
            if moment is not None and (self._server_now is None or moment > self._server_now):
                self._server_now = moment
        allowance = daily_allowance(response.headers)
        if allowance is not None and self.budget is not None:
            self.budget.observe(*allowance)
        bucket = self.buckets.get(kind)
        if bucket is None:
            return
        stated = stated_window(response.headers)
        if stated is not None:
            bucket.follow(*stated)
        window_left = response.headers.get("X-HubSpot-RateLimit-Remaining", "")
        if window_left.isdigit():
            bucket.limit_to(int(window_left))

    def last_response(self) -> requests.Response | None:
        return getattr(self._seen, "response", None)

    def server_now(self) -> datetime | None:
        """The CRM's clock: the newest `Date` header received (second precision), None before any."""
        with self._lock:
            return self._server_now


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def make_session(
    ca_bundle: str | None = None,
    buckets: Mapping[str, TokenBucket] | None = None,
    endpoint_class: EndpointClass | None = None,
    budget: BudgetGovernor | None = None,
) -> ApiSession:
    """A keep-alive session; `ca_bundle` is a PEM file to trust instead of the system CAs."""
    session = ApiSession(buckets, endpoint_class, budget)
    if ca_bundle:
        session.verify = ca_bundle
    return session
