"""The sandbox as a server (issue 18, item 11): every malformed request is answered in the CRM's own
error shape, a body is read only after authentication and under a cap, and the control surface needs
the control token. Over real sockets: some of these requests no HTTP client library would send.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import requests

from ingest.sandbox import RunningSandbox
from ingest.sandbox.core.limits import MAX_BODY_BYTES
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.sandbox.test_salesforce_sandbox import client_credentials, org, token

SF_DATA = "/services/data/v59.0"
ACCOUNT = "001000000000001AAA"
PL = "text/plain"


@pytest.fixture
def running(start_sandbox: StartSandbox) -> RunningSandbox:
    document = org()
    document["salesforce"]["_profile"] = "realistic"
    document["hubspot"] = {"companies": [], "_behaviour": {"profile": "realistic"}}
    return start_sandbox(document)


def _raw(running: RunningSandbox, head: str, body: bytes = b"", wait: float = 10) -> tuple[int, Any, float]:
    """Send bytes as they are over plain HTTP; (status, JSON body, seconds until the answer)."""
    address = urlsplit(running.http_url)
    started = time.perf_counter()
    with socket.create_connection((address.hostname, address.port), timeout=wait) as connection:
        connection.sendall(head.encode("latin-1") + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"the sandbox closed the connection without answering ({received!r})"
            received += chunk
        header_block, _, payload = received.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in header_block.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))  # fmt: skip
        while len(payload) < length:
            payload += connection.recv(65536)
    status = int(header_block.split(b" ")[1])
    return status, orjson.loads(payload), time.perf_counter() - started


def _head(method: str, path: str, *headers: str) -> str:
    return "".join(f"{line}\r\n" for line in (f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers))


def _post(
    running: RunningSandbox, path: str, bearer: str, body: bytes, content_type: str = "application/json"
) -> Any:
    """(status, JSON answer, seconds) of a POST of `body` as it is."""
    head = _head("POST", path, bearer, f"Content-Type: {content_type}", f"Content-Length: {len(body)}")
    return _raw(running, head, body)


def _sf_bearer(running: RunningSandbox) -> str:
    return f"Authorization: Bearer {token(running, **client_credentials(running))['access_token']}"


def _hs_bearer(running: RunningSandbox) -> str:
    return f"Authorization: Bearer {hubspot_config(running).access_token}"


def _salesforce_error(body: Any) -> tuple[str, str]:
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"message", "errorCode"}, body
    return body[0]["errorCode"], body[0]["message"]


def _hubspot_error(body: Any) -> str:
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR", body
    assert len(body["correlationId"]) == 36
    return body["message"]


# ---- Salesforce ----------------------------------------------------------------------------------


def test_salesforce_bad_json_is_a_json_parser_error(running: RunningSandbox) -> None:
    body = b'{"Subject": "Visit'
    status, answer, _ = _post(running, f"{SF_DATA}/sobjects/Task", _sf_bearer(running), body)
    assert status == 400
    code, message = _salesforce_error(answer)
    assert code == "JSON_PARSER_ERROR" and message.startswith("malformed JSON body: ")


def test_salesforce_non_utf8_body_is_a_json_parser_error(running: RunningSandbox) -> None:
    body = b'{"Subject": "\xff\xfe"}'
    status, answer, _ = _post(running, f"{SF_DATA}/sobjects/Task", _sf_bearer(running), body)
    assert status == 400 and _salesforce_error(answer)[0] == "JSON_PARSER_ERROR"


def test_salesforce_wrong_content_type_is_415(running: RunningSandbox) -> None:
    body = b'{"Subject": "Visit"}'
    status, answer, _ = _post(running, f"{SF_DATA}/sobjects/Task", _sf_bearer(running), body, "text/plain")
    assert (status, _salesforce_error(answer)) == (
        415,
        ("UNSUPPORTED_MEDIA_TYPE", f"Content-Type header specified in HTTP request is not supported: {PL}"),
    )


def test_salesforce_body_of_the_wrong_shape_is_400(running: RunningSandbox) -> None:
    body = b'{"records": "not a list"}'
    status, answer, _ = _post(running, f"{SF_DATA}/composite/sobjects", _sf_bearer(running), body)
    assert status == 400 and _salesforce_error(answer)[0] == "JSON_PARSER_ERROR"


def test_salesforce_wrong_method_is_405_naming_the_allowed_ones(running: RunningSandbox) -> None:
    head = _head("PUT", f"{SF_DATA}/sobjects/Account/{ACCOUNT}", _sf_bearer(running))
    status, answer, _ = _raw(running, head)
    assert (status, _salesforce_error(answer)) == (
        405,
        ("METHOD_NOT_ALLOWED", "HTTP Method 'PUT' not allowed. Allowed are DELETE,GET,PATCH"),
    )


def test_unknown_method_and_bad_request_line_answer_json(running: RunningSandbox) -> None:
    status, answer, _ = _raw(running, _head("BREW", f"{SF_DATA}/limits"))
    assert status == 501 and _salesforce_error(answer)[0] == "METHOD_NOT_ALLOWED"
    status, answer, _ = _raw(running, "GET /services/data/ HTTP/1.1 extra\r\n")
    assert status == 400 and answer["message"].startswith("Bad request")


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_a_bad_content_length_is_400(running: RunningSandbox, length: str) -> None:
    status, answer, _ = _raw(running, _head("POST", f"{SF_DATA}/sobjects/Task", f"Content-Length: {length}"))
    assert (status, _salesforce_error(answer)) == (
        400,
        ("JSON_PARSER_ERROR", f"Content-Length {length!r} is not a number of bytes"),
    )


def test_a_body_shorter_than_its_content_length_is_400(running: RunningSandbox) -> None:
    head = _head("POST", f"{SF_DATA}/sobjects/Task", _sf_bearer(running), "Content-Type: application/json",
                 "Content-Length: 100")  # fmt: skip
    address = urlsplit(running.http_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(head.encode() + b"\r\n" + b'{"a": 1}')
        connection.shutdown(socket.SHUT_WR)  # the client gives up mid-body
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert orjson.loads(answer.partition(b"\r\n\r\n")[2]) == [
        {"message": "the body ended after 8 of 100 bytes (Content-Length)", "errorCode": "JSON_PARSER_ERROR"}
    ]


def test_chunked_bodies_are_refused_not_read_as_empty(running: RunningSandbox) -> None:
    head = _head("POST", f"{SF_DATA}/sobjects/Task", _sf_bearer(running), "Transfer-Encoding: chunked")
    status, answer, _ = _raw(running, head, b"5\r\nhello\r\n0\r\n\r\n")
    assert status == 411
    assert _salesforce_error(answer)[1] == "chunked request bodies are not supported; send Content-Length"


def test_a_body_over_the_cap_is_refused_before_it_is_sent(running: RunningSandbox) -> None:
    too_big = MAX_BODY_BYTES + 1  # 50 MB: Salesforce's documented limit for a non-multipart body
    head = _head("POST", f"{SF_DATA}/composite/sobjects", _sf_bearer(running), f"Content-Length: {too_big}")
    status, answer, seconds = _raw(running, head)  # not a byte of the body is sent
    assert (status, _salesforce_error(answer)) == (
        413,
        ("REQUEST_ENTITY_TOO_LARGE", f"request body of {too_big:,} bytes exceeds the 52,428,800-byte limit"),
    )
    assert seconds < 5


def test_an_unauthenticated_body_is_never_read(running: RunningSandbox) -> None:
    """A 10 MB body announced without a token: the 401 comes at once, before the body is sent."""
    head = _head("POST", f"{SF_DATA}/composite/sobjects", "Content-Type: application/json",
                 f"Content-Length: {10 * 1024 * 1024}")  # fmt: skip
    status, answer, seconds = _raw(running, head)
    assert (status, _salesforce_error(answer)) == (401, ("INVALID_SESSION_ID", "Session expired or invalid"))
    assert seconds < 5
    head = _head("POST", "/crm/v3/objects/tasks/batch/create", "Content-Length: 9999")
    status, answer, _ = _raw(running, head)
    assert status == 401 and answer["category"] == "INVALID_AUTHENTICATION"


def test_headers_over_16_kb_are_431(running: RunningSandbox) -> None:
    status, answer, _ = _raw(running, _head("GET", f"{SF_DATA}/limits", f"X-Padding: {'a' * 17_000}"))
    assert status == 431 and _salesforce_error(answer)[0] == "REQUEST_HEADER_FIELDS_TOO_LARGE"


def test_the_server_keeps_serving_after_every_malformed_request(running: RunningSandbox) -> None:
    for head in (_head("POST", f"{SF_DATA}/sobjects/Task", "Content-Length: zz"), "NONSENSE\r\n"):
        _raw(running, head)
    session = requests.Session()
    session.headers["Authorization"] = _sf_bearer(running).split(": ", 1)[1]
    assert session.get(f"{running.http_url}{SF_DATA}/limits", timeout=10).status_code == 200


# ---- HubSpot -------------------------------------------------------------------------------------


def test_hubspot_bad_json_is_a_validation_error(running: RunningSandbox) -> None:
    body = b'{"inputs": ['
    status, answer, _ = _post(running, "/crm/v3/objects/tasks/batch/create", _hs_bearer(running), body)
    assert status == 400 and _hubspot_error(answer).startswith("malformed JSON body: ")


def test_hubspot_body_of_the_wrong_shape_and_bad_query_params_are_400(running: RunningSandbox) -> None:
    body = b'{"inputs": "x"}'
    status, answer, _ = _post(running, "/crm/v3/objects/companies/batch/read", _hs_bearer(running), body)
    assert status == 400 and _hubspot_error(answer) == "`inputs` must be a list"
    head = _head("GET", "/crm/v3/objects/companies?limit=abc", _hs_bearer(running))
    status, answer, _ = _raw(running, head)
    assert status == 400 and _hubspot_error(answer) == "limit must be an integer, got 'abc'"


def test_hubspot_wrong_method_is_405_in_its_shape(running: RunningSandbox) -> None:
    status, answer, _ = _raw(running, _head("POST", "/crm/v3/owners", _hs_bearer(running)))
    assert status == 405
    assert _hubspot_error(answer) == "HTTP Method 'POST' not allowed. Allowed are GET"


# ---- the control surface -------------------------------------------------------------------------

CONTROL_CALLS = [
    ("GET", "/__sandbox/counters", None),
    ("POST", "/__sandbox/counters/reset", None),
    ("GET", "/__sandbox/faults", None),
    ("POST", "/__sandbox/faults", {"kind": "status_503", "endpoint": "salesforce.query"}),
    ("DELETE", "/__sandbox/faults", None),
    ("POST", "/__sandbox/flush", None),
    ("POST", "/__sandbox/clock", {"now": "2026-03-01T00:00:00Z"}),
    ("GET", "/__sandbox/hubspot/behaviour", None),
    ("POST", "/__sandbox/salesforce/profile", {"name": "realistic"}),
    ("POST", "/__sandbox/salesforce/api_budget", {"used": 1}),
]


@pytest.mark.parametrize(("method", "path", "body"), CONTROL_CALLS)
def test_control_calls_need_the_control_token(
    running: RunningSandbox, method: str, path: str, body: Any
) -> None:
    anonymous = requests.request(method, running.http_url + path, json=body, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "message": "control call without the sandbox's control token: send X-Sandbox-Control-Token",
        "errorCode": "CONTROL_TOKEN_REQUIRED",
    }
    wrong = requests.request(method, running.http_url + path, json=body, timeout=10,
                             headers={"X-Sandbox-Control-Token": "guess"})  # fmt: skip
    assert wrong.status_code == 401
    running.control(method, path, body)  # the token makes it (200)


def test_refused_control_calls_change_nothing_and_health_stays_open(running: RunningSandbox) -> None:
    spec = {"kind": "status_503", "endpoint": "salesforce.query"}
    requests.post(f"{running.http_url}/__sandbox/faults", json=spec, timeout=10)
    assert running.sandbox.faults.list() == []
    assert requests.get(f"{running.http_url}/__sandbox/health", timeout=10).json() == {"ok": True}


def test_the_clock_refuses_far_future_moves_unless_asked(running: RunningSandbox) -> None:
    refused = running.control("POST", "/__sandbox/clock", {"now": "2099-01-01T00:00:00Z"}, expect=400)
    assert refused == {
        "message": "now 2099-01-01T00:00:00Z is more than 7 days ahead of the wall clock; "
        'send "allow_far_future": true to stamp far-future modstamps on purpose',
        "errorCode": "CLOCK_TOO_FAR_AHEAD",
    }
    assert running.store.now().year < 2099
    running.control("POST", "/__sandbox/clock", {"now": "2099-01-01T00:00:00Z", "allow_far_future": True})
    assert running.store.now().year == 2099
    bad = running.control("POST", "/__sandbox/clock", {"now": "tomorrow"}, expect=400)
    assert bad == {"message": "now 'tomorrow' is not an ISO 8601 date-time"}
