"""HubSpot's error bodies: the standard error object, batch input errors, and the fault answers."""

from __future__ import annotations

import uuid
from typing import Any

from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Response


class InputError(Exception):
    """One batch input that failed; the batch answers 207 with this among its `errors`."""

    def __init__(self, category: str, message: str, code: str | None = None, **context: list[str]) -> None:
        super().__init__(message)
        self.category = category
        self.message = message
        self.code = code
        self.context = context

    def to_wire(self, trace_id: str | None = None) -> dict[str, Any]:
        context = dict(self.context)
        if trace_id is not None:
            context["objectWriteTraceId"] = [trace_id]
        details = [{"message": self.message, "code": self.code, "context": context}] if self.code else []
        return {
            "status": "error",
            "category": self.category,
            "message": self.message,
            "context": context,
            "links": {},
            "errors": details,
        }


def validation_error(message: str) -> ApiError:
    return ApiError(400, hubspot_error("VALIDATION_ERROR", message))


def hubspot_error(category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }


BAD_TOKEN = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def fault_response(fault: Fault) -> Response:
    """HubSpot's answer to an injected call fault (drop_connection is the core's)."""
    if fault.kind == "status_429":
        body = hubspot_error("RATE_LIMITS", "You have reached your secondly limit.", policyName="SECONDLY")
        return Response(429, body, {"Retry-After": str(fault.retry_after)})
    if fault.kind == "status_503":
        return Response(503, hubspot_error("SERVICE_UNAVAILABLE", "Service temporarily unavailable"))
    if fault.kind == "request_limit":
        # The fault models Salesforce's daily allowance; on a HubSpot route it has always answered
        # Salesforce's body (unchanged here: no behaviour change in the layout split).
        body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        return Response(403, body)
    return Response(
        401, hubspot_error("EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired")
    )
