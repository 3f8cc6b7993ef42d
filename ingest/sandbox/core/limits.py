"""What a request may be before the sandbox reads it: its framing (Content-Length) and sizes.

Both CRMs document limits that a real front end enforces before any API code runs:
- Salesforce: "In each REST call, the maximum length for the combined URI and headers is 16,384
  bytes"; over it, 431 (414 for the URI alone) (help.salesforce.com, article 000386264).
- Salesforce: a non-multipart request body is "limited to 50 MB of text data" (REST API Developer
  Guide, "Insert or Update Blob Data"). HubSpot documents no byte limit (its batch endpoints cap
  inputs at 100 per call, far below 50 MB), so the one cap serves both APIs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ingest.sandbox.core.http import MalformedRequest

MAX_URI_AND_HEADERS = 16_384
MAX_BODY_BYTES = 50 * 1024 * 1024
BODY_READ_TIMEOUT = 30.0  # seconds a client may stall mid-body before the connection is dropped


def check_head_size(target: str, headers: Mapping[str, str]) -> None:
    """Refuse a request line + headers over Salesforce's 16,384 bytes (431), as its front end does."""
    size = len(target) + sum(len(name) + len(value) + 4 for name, value in headers.items())
    if size > MAX_URI_AND_HEADERS:
        message = f"the URI and headers are {size:,} bytes, over the {MAX_URI_AND_HEADERS:,}-byte limit"
        raise MalformedRequest(message, status=431, code="REQUEST_HEADER_FIELDS_TOO_LARGE")


def content_length(headers: Mapping[str, str]) -> int:
    """The body's declared length, checked before a byte of it is read (MalformedRequest if wrong)."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        # Refused rather than mis-read as an empty body: neither CRM client sends chunked bodies.
        raise MalformedRequest("chunked request bodies are not supported; send Content-Length", status=411)
    raw = (headers.get("Content-Length") or "0").strip()
    if not raw.isdigit():
        raise MalformedRequest(f"Content-Length {raw!r} is not a number of bytes")
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise MalformedRequest(
            f"request body of {length:,} bytes exceeds the {MAX_BODY_BYTES:,}-byte limit",
            status=413,
            code="REQUEST_ENTITY_TOO_LARGE",
        )
    return length
