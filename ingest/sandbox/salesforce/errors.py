"""Salesforce's error bodies: REST errors, SaveResult errors, OAuth errors, and the fault answers."""

from __future__ import annotations

from typing import Any

from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Response


class RecordError(Exception):
    """One record's failure, reported in a SaveResult (or as the error of a single-record call)."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []
        self.status = status

    def as_save_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


def oauth_error(error: str, description: str) -> Response:
    return Response(400, {"error": error, "error_description": description})


def salesforce_error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    """Salesforce REST errors are a JSON array (simple-salesforce's re-login relies on it)."""
    error: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        error["fields"] = fields
    return [error]


def invalid_session() -> ApiError:
    return ApiError(401, salesforce_error("INVALID_SESSION_ID", "Session expired or invalid"))


def not_found() -> Response:
    return Response(404, salesforce_error("NOT_FOUND", "The requested resource does not exist"))


def fault_response(fault: Fault) -> Response:
    """Salesforce's answer to an injected call fault (drop_connection is the core's)."""
    if fault.kind == "status_429":
        body = salesforce_error("REQUEST_LIMIT_EXCEEDED", "Too many concurrent requests")
        return Response(429, body, {"Retry-After": str(fault.retry_after)})
    if fault.kind == "status_503":
        return Response(503, salesforce_error("SERVER_UNAVAILABLE", "Server temporarily unavailable"))
    if fault.kind == "request_limit":
        return Response(403, salesforce_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
    return Response(401, salesforce_error("INVALID_SESSION_ID", "Session expired or invalid"))
