"""The HTTP types every handler sees: Request, Response, and the exceptions that shape an answer."""

from __future__ import annotations

import hmac
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

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(
                400, {"message": f"malformed JSON body: {exc}", "errorCode": "JSON_PARSER_ERROR"}
            ) from exc

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


class DropConnection(Exception):
    """Send part of the response, then close the socket (a connection dropped mid-page); with no
    response, close without answering at all (the answer of an applied write lost)."""

    def __init__(self, response: Response | None) -> None:
        super().__init__("connection dropped by fault injection")
        self.response = response


def same_secret(given: str | None, expected: str) -> bool:
    """A credential comparison that takes the same time wherever the strings differ."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
