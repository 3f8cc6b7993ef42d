"""The API-bound lower bound of a step: how long its calls take at least at the vendors' published limits.

Each CRM limits calls per endpoint class; a step cannot finish faster than its slowest class allows,
whatever the client does (the classes' windows are independent, so the bound is the largest of
calls ÷ rate over the classes, not their sum):

- HubSpot (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines): the CRM
  search endpoints 5 requests per second per account; every other endpoint 190 per 10 s per private app
  on Professional/Enterprise, 100 per 10 s on Free/Starter. Both tiers are given.
- Salesforce: no per-second or per-minute rate limit for REST API calls, only a rolling 24-hour
  allowance per org (Enterprise Edition: 100,000 + 1,000 per Salesforce licence) and at most 25
  concurrent long-running requests (> 20 s) in a production org ("API Request Limits and Allocations":
  https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm).
  Our calls each take well under 20 s, so neither limit bounds a step's time: its bound is 0 s, and
  what the limits cost it is a share of the daily allowance, reported beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HUBSPOT_SEARCH_PER_SECOND = 5.0
HUBSPOT_PER_SECOND = {"pro": 190 / 10, "free": 100 / 10}  # the other endpoints, per tier
SALESFORCE_DAILY_ALLOWANCE = 100_000  # Enterprise Edition's base per 24 h, before per-licence additions
_SEARCH_PREFIX = "hubspot.search."


@dataclass(frozen=True)
class ApiBound:
    """A step's lower bound in seconds per tier ({} for Salesforce: no rate limit) and its calls per class."""

    seconds: dict[str, float]
    calls: dict[str, int]
    daily_share: float | None = None  # Salesforce: the step's calls ÷ the daily allowance

    def as_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "calls": self.calls, "daily_share": self.daily_share}

    def cell(self) -> str:
        """The report's cell: "pro/free" seconds for HubSpot, "0" for Salesforce (no rate limit)."""
        if not self.seconds:
            return "0" if self.daily_share is not None else "—"
        pro, free = self.seconds["pro"], self.seconds["free"]
        return f"{pro:.1f}" if round(pro, 1) == round(free, 1) else f"{pro:.1f}/{free:.1f}"


def api_bound(counts: Mapping[str, int], crm: str) -> ApiBound:
    """The bound of a step from the sandbox counters it moved (`orchestration.bench.calls.delta`)."""
    total = counts.get(f"{crm}.total", 0)
    if crm == "salesforce":
        return ApiBound({}, {"api": total}, daily_share=total / SALESFORCE_DAILY_ALLOWANCE)
    search = sum(n for name, n in counts.items() if name.startswith(_SEARCH_PREFIX))
    return ApiBound(bound_for_calls(search, total - search), {"search": search, "other": total - search})


def bound_for_calls(search: int, other: int) -> dict[str, float]:
    """HubSpot's bound per tier for a given number of search and other calls (for the README's scaling)."""
    return {
        tier: max(search / HUBSPOT_SEARCH_PER_SECOND, other / per_second)
        for tier, per_second in HUBSPOT_PER_SECOND.items()
    }
