"""The HTTP types every handler sees: Request, Response, and the exceptions that shape an answer."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route pattern
    base_url: str = ""  # scheme://host:port the client used
    # Reads the body off the socket; the core calls it (load_body) only after authentication.
    body_reader: Callable[[], bytes] | None = None

    def load_body(self) -> None:
        if self.body_reader is not None:
            reader, self.body_reader = self.body_reader, None
            self.body = reader()

    def json(self) -> Any:
        """The body as JSON; MalformedRequest (answered in the API's own shape) when it is not."""
        if not self.body:
            return None
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and not _is_json_type(content_type):
            # Salesforce answers a body it cannot read with 415 UNSUPPORTED_MEDIA_TYPE ("Content-Type
            # header specified in HTTP request is not supported"), REST API Developer Guide, Status Codes
            # and Error Responses; HubSpot's API also answers 415 to a non-JSON body.
            raise MalformedRequest(
                f"Content-Type header specified in HTTP request is not supported: {content_type}",
                status=415,
                code="UNSUPPORTED_MEDIA_TYPE",
            )
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:  # also a body that is not UTF-8
            raise MalformedRequest(f"malformed JSON body: {exc}") from exc

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        """All values of a repeated query parameter, comma-separated ones split too."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable value, or raw bytes
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by a handler to answer with an error; the body is in the API's own error format."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class MalformedRequest(ApiError):
    """A request the API cannot read (bad JSON, content type, length, parameter): the core answers it
    in the mounted API's own error shape (`ApiHooks.error`); the body here is the control surface's."""

    def __init__(self, message: str, status: int = 400, code: str = "JSON_PARSER_ERROR") -> None:
        super().__init__(status, {"message": message, "errorCode": code})
        self.message = message
        self.code = code


def _is_json_type(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class DropConnection(Exception):
    """Send part of the response, then close the socket (a connection dropped mid-page); with no
    response, close without answering at all (the answer of an applied write lost)."""

    def __init__(self, response: Response | None) -> None:
        super().__init__("connection dropped by fault injection")
        self.response = response


def same_secret(given: str | None, expected: str) -> bool:
    """A credential comparison that takes the same time wherever the strings differ."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
