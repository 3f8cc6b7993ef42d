"""How closely the sandbox's HubSpot behaves like a production portal: the knobs of the `realistic`
profile, and the portal's API rate limiter.

The default is the `realistic` profile, what a production portal does (each knob cites its source),
since the sandbox models the vendor: the demo, the tests and the bench run on it. `naive` keeps the
sandbox's historic behaviour (the dataclass's field defaults), opt-in for the tests about exactly that.
Settable from the org file (`"hubspot": {"_behaviour": {"profile": "naive", "search_lag_seconds": 2}}`)
and from the control surface (`POST /__sandbox/hubspot/behaviour` with the same object; `GET` shows it);
knobs without a profile apply over the current behaviour (the org file's: over the default).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from ingest.sandbox.core.http import ApiError
from ingest.sandbox.core.store import OrgFileError
from ingest.sandbox.hubspot.errors import hubspot_error

PROFILES = ("naive", "realistic")


@dataclass(frozen=True)
class Behaviour:
    profile: str = "naive"
    # Search reads an index that trails writes: a contact created and searched for at once is not
    # found, "if you wait for an arbitrary amount of time and then search it does return a contact"
    # (https://github.com/HubSpot/hubspot-api-php/issues/59; integrators add a buffer for it:
    # https://github.com/supaglue-labs/supaglue/issues/665). List, get and batch read answer from the
    # object store at once. Sandbox-clock seconds.
    search_lag_seconds: float = 0.0
    # Adding/removing an association is not a property change: the records' `hs_lastmodifieddate` /
    # `updatedAt` stay put, so a modstamp-incremental sync misses association changes ("if any
    # association is created after the incremental sync, it is NOT retrieved (except if object itself
    # is modified again)": https://github.com/airbytehq/airbyte/issues/44554, also #27199).
    associations_touch_modstamp: bool = True
    # On contacts the property that moves on every change, and that search filters and sorts on, is
    # `lastmodifieddate` (the search guide's contact defaults: https://developers.hubspot.com/docs/api/crm/search);
    # a contacts search on `hs_lastmodifieddate` silently returns nothing new ("live HubSpot validation
    # reproduced the baseline silent data loss (0 records with hs_lastmodifieddate)":
    # https://github.com/airbytehq/airbyte/pull/85019).
    contacts_hs_lastmodifieddate_maintained: bool = True
    # Rate limits (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines): per
    # 10 s per app 100 (Free/Starter) or 190 (Professional/Enterprise), per day 250,000 / 625,000 /
    # 1,000,000 per account; the CRM search endpoints 5 requests per second per account, and their
    # answers carry no X-HubSpot-RateLimit-* headers. A 429 body names the limit in `policyName`
    # (DAILY, SECONDLY, TEN_SECONDLY_ROLLING) with `errorType: RATE_LIMIT`.
    rate_limits: bool = False
    search_per_second: int = 5
    per_ten_seconds: int = 190
    daily_limit: int = 625_000
    # Deleted records can be restored for 90 days, then they are permanently deleted
    # (https://knowledge.hubspot.com/records/restore-deleted-records): gone from archived=true too.
    archived_retention_days: float | None = None

    @classmethod
    def of(cls, spec: Any, base: Behaviour | None = None) -> Behaviour:
        """A behaviour from `{"profile": ..., knob: value, ...}`; unknown knobs are refused."""
        if spec is None:
            return base or REALISTIC
        if not isinstance(spec, dict):
            raise ValueError('the HubSpot behaviour is an object: {"profile": "realistic", knob: value}')
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(spec) - names)
        if unknown:
            raise ValueError(f"unknown HubSpot behaviour knobs {unknown}; known: {sorted(names)}")
        profile = spec.get("profile")
        if profile is not None and profile not in PROFILES:
            raise ValueError(f"unknown HubSpot profile {profile!r}; one of {list(PROFILES)}")
        start = REALISTIC if profile == "realistic" else (cls() if profile == "naive" else base or REALISTIC)
        return replace(start, **{k: v for k, v in spec.items() if k != "profile"})

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)


def check_behaviour(extras: dict[str, Any]) -> None:
    """An org file's `hubspot._behaviour`, read at load so a bad knob is one line naming it."""
    try:
        Behaviour.of(extras.get("_behaviour"))
    except (TypeError, ValueError) as exc:
        raise OrgFileError(f"hubspot._behaviour: {exc}") from exc


REALISTIC = Behaviour(
    profile="realistic",
    search_lag_seconds=3.0,
    associations_touch_modstamp=False,
    contacts_hs_lastmodifieddate_maintained=False,
    rate_limits=True,
    archived_retention_days=90.0,
)

TEN_SECONDS = timedelta(seconds=10)
ONE_SECOND = timedelta(seconds=1)


class RateLimiter:
    """Per-portal counters on the sandbox clock: a secondly window for search, a 10 s rolling window
    for everything else, and a daily allowance for both."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._search: deque[datetime] = deque()
        self._rolling: deque[datetime] = deque()
        self._day: tuple[str, int] = ("", 0)
        # 429s answered, per policy: a test asserts a paced night gets none. Kept across reset()
        # (a behaviour change), cleared with the sandbox's counters' lifetime: the sandbox's.
        self.refused: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._search.clear()
            self._rolling.clear()
            self._day = ("", 0)

    def admit(self, behaviour: Behaviour, now: datetime, search: bool) -> dict[str, str]:
        """Count one call; raise HubSpot's 429 when a limit is spent, else return the rate headers
        HubSpot sends (none on search responses: the guide says search answers carry no limit headers)."""
        with self._lock:
            day, used = self._day if self._day[0] == now.date().isoformat() else (now.date().isoformat(), 0)
            if used >= behaviour.daily_limit:
                self.refused["DAILY"] += 1
                raise _limit_error("DAILY", "You have reached your daily limit.", behaviour, 0)
            window, span, limit = (
                (self._search, ONE_SECOND, behaviour.search_per_second)
                if search
                else (self._rolling, TEN_SECONDS, behaviour.per_ten_seconds)
            )
            while window and now - window[0] >= span:
                window.popleft()
            if len(window) >= limit:
                policy = "SECONDLY" if search else "TEN_SECONDLY_ROLLING"
                self.refused[policy] += 1
                raise _limit_error(policy, f"You have reached your {policy.lower()} limit.", behaviour,
                                   behaviour.daily_limit - used, search)  # fmt: skip
            window.append(now)
            self._day = (day, used + 1)
            if search:
                return {}
            return _headers(behaviour, behaviour.daily_limit - used - 1, limit - len(window))


def _headers(behaviour: Behaviour, daily_remaining: int, remaining: int) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Daily": str(behaviour.daily_limit),
        "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": str(behaviour.per_ten_seconds),
        "X-HubSpot-RateLimit-Remaining": str(remaining),
    }


def _limit_error(
    policy: str, message: str, behaviour: Behaviour, daily_remaining: int, search: bool = False
) -> ApiError:
    body = hubspot_error("RATE_LIMITS", message, errorType="RATE_LIMIT", policyName=policy,
                         groupName="publicapi:private-app")  # fmt: skip
    headers = {} if search else _headers(behaviour, daily_remaining, 0)
    return ApiError(429, body, headers)
