"""The org's daily API budget: what `Sforce-Limit-Info`, `GET limits/` and REQUEST_LIMIT_EXCEEDED report.

Salesforce documents (REST API Developer Guide, "Limits" resource and "Response Headers"; Salesforce
Developer Limits, "API Request Limits and Allocations"):
- every REST response carries `Sforce-Limit-Info: api-usage=<used>/<allowance>`;
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
- `GET /services/data/vXX.X/limits/` lists the org's limits as `{"Name": {"Max": n, "Remaining": m}}`,
  `DailyApiRequests` among them;
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
- once the allowance is spent, calls answer 403 `REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit
  exceeded." until usage falls under it again (a rolling 24 hours in Salesforce).
  https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
The OAuth token endpoint and the versions list are not API calls and are not counted.

The allowance comes from the org file (`salesforce._api_limits.daily_api_requests`, default 15,000:
a Developer Edition's allocation) or the control surface (`POST /__sandbox/salesforce/api_budget`
with `daily_api_requests` and/or `used`); the sandbox's window never rolls by itself, the control
surface resets it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ingest.sandbox.core.http import ApiError
from ingest.sandbox.salesforce.errors import salesforce_error

DAILY_API_LIMIT = 15000

# The other limits `limits/` lists, with a fresh Developer Edition's allocations (none is enforced).
_STATIC_LIMITS: dict[str, int] = {
    "DailyAsyncApexExecutions": 250000,
    "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryJobs": 10000,
    "DailyBulkV2QueryFileStorageMB": 976562,
    "DataStorageMB": 5,
    "FileStorageMB": 20,
    "HourlyTimeBasedWorkflow": 50,
    "MassEmail": 10,
    "SingleEmail": 15,
}


class ApiBudget:
    """Counts the API calls of the day against the allowance; refuses calls once it is spent."""

    def __init__(self, allowance: int = DAILY_API_LIMIT) -> None:
        self.allowance = allowance
        self.used = 0
        self._lock = threading.Lock()

    @classmethod
    def from_org(cls, extras: Mapping[str, Any]) -> ApiBudget:
        limits = extras.get("_api_limits") or {}
        return cls(_count(limits.get("daily_api_requests", DAILY_API_LIMIT)))

    def spend(self) -> None:
        """Count one API call, or raise 403 REQUEST_LIMIT_EXCEEDED when the allowance is spent."""
        with self._lock:
            if self.used >= self.allowance:
                body = salesforce_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                raise ApiError(403, body)
            self.used += 1

    def header(self) -> str:
        return f"api-usage={self.used}/{self.allowance}"

    def limits(self) -> dict[str, dict[str, int]]:
        daily = {"Max": self.allowance, "Remaining": max(self.allowance - self.used, 0)}
        static = {name: {"Max": value, "Remaining": value} for name, value in _STATIC_LIMITS.items()}
        return {"DailyApiRequests": daily, **dict(sorted(static.items()))}

    def configure(self, body: Any) -> dict[str, int]:
        """The control surface: set the allowance and/or the calls used so far."""
        if not isinstance(body, dict) or not body.keys() <= {"daily_api_requests", "used"}:
            raise ApiError(400, {"message": "expected {'daily_api_requests': n, 'used': m} (either or both)"})
        try:
            allowance = _count(body.get("daily_api_requests", self.allowance))
            used = _count(body.get("used", self.used))
        except ValueError as error:
            raise ApiError(400, {"message": str(error)}) from error
        with self._lock:
            self.allowance, self.used = allowance, used
            return {"daily_api_requests": self.allowance, "used": self.used}


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"an API call count is a non-negative integer, not {value!r}")
    return value
