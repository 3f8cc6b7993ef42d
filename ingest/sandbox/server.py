"""The sandbox CRM's HTTP core: routing, auth, call counters, fault injection, TLS listeners.

The wire APIs live beside this module (`salesforce_api.py`, `hubspot_api.py`); each registers its
routes on a `Sandbox`. One process serves both CRMs from one org file, over HTTPS (simple-salesforce
only builds https:// URLs, so the sandbox makes its own CA with trustme) and over plain HTTP.
"""

from __future__ import annotations

import fnmatch
import re
import ssl
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingest.config import HubSpotConfig, SalesforceConfig
from ingest.sandbox.store import OrgStore

SANDBOX_SALESFORCE_CLIENT_ID = "sandbox-client-id"
SANDBOX_SALESFORCE_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_SALESFORCE_USERNAME = "integration@sandbox.example.com"
SANDBOX_SALESFORCE_PASSWORD = "sandbox-password"
SANDBOX_HUBSPOT_TOKEN = "sandbox-hubspot-token"
SALESFORCE_DAILY_API_LIMIT = 15000


@dataclass
class SandboxCredentials:
    """What the sandbox accepts. Defaults are public on purpose: the sandbox holds no real data."""

    salesforce_client_id: str = SANDBOX_SALESFORCE_CLIENT_ID
    salesforce_client_secret: str = SANDBOX_SALESFORCE_CLIENT_SECRET
    salesforce_username: str = SANDBOX_SALESFORCE_USERNAME
    salesforce_password: str = SANDBOX_SALESFORCE_PASSWORD
    hubspot_token: str = SANDBOX_HUBSPOT_TOKEN


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
    """Send part of the response, then close the socket (a connection dropped mid-page)."""

    def __init__(self, response: Response) -> None:
        super().__init__("connection dropped by fault injection")
        self.response = response


@dataclass
class Fault:
    """One injected fault. It lets `after` matching calls through, then fires `times` times.

    kind: status_429 | status_503 | request_limit (Salesforce REQUEST_LIMIT_EXCEEDED) |
    expired_session (Salesforce sessions invalidated; HubSpot answers 401) | drop_connection |
    fail_record (a batch handler fails the record at index `record`).
    """

    kind: str
    endpoint: str = "*"  # fnmatch pattern on the route name, e.g. "salesforce.query*"
    after: int = 0
    times: int = 1
    record: int = 0
    retry_after: int = 1  # seconds, for status_429
    seen: int = 0
    fired: int = 0

    KINDS = frozenset(
        {"status_429", "status_503", "request_limit", "expired_session", "drop_connection", "fail_record"}
    )

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(self.KINDS)}")


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, route_name: str, kinds: set[str]) -> Fault | None:
        """The fault of one of `kinds` that fires on this call of `route_name`, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fnmatch.fnmatchcase(route_name, fault.endpoint):
                    continue
                if fault.fired >= fault.times:
                    continue
                fault.seen += 1
                if fault.seen > fault.after:
                    fault.fired += 1
                    return fault
            return None


Handler = Callable[[Request], Response | Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # counter key, e.g. "salesforce.query"
    api: str  # "salesforce" | "hubspot" | "control"
    handler: Handler
    auth: bool = True


CALL_FAULTS = {"status_429", "status_503", "request_limit", "expired_session", "drop_connection"}


class Sandbox:
    """The application: routes, auth state, counters and faults around one OrgStore."""

    def __init__(self, store: OrgStore, credentials: SandboxCredentials | None = None) -> None:
        self.store = store
        self.credentials = credentials or SandboxCredentials()
        self.counters: Counter[str] = Counter()
        self.faults = FaultInjector()
        self.salesforce_sessions: set[str] = set()
        self.routes: list[Route] = []
        self._counter_lock = threading.Lock()
        self._register_control_routes()
        # Imported here: the API modules import this one for Request/Response/ApiError.
        from ingest.sandbox import hubspot_api, salesforce_api

        salesforce_api.register(self)
        hubspot_api.register(self)

    # ---- routing -----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, name: str, api: str, auth: bool = True) -> Callable:
        def decorate(handler: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(pattern + r"/?$"), name, api, handler, auth))
            return handler

        return decorate

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None

    def handle(self, request: Request) -> Response:
        matched = self.match(request.method, request.path)
        if matched is None:
            return self._not_found(request)
        route, request.params = matched
        if route.api != "control":
            with self._counter_lock:
                self.counters[route.name] += 1
                self.counters[f"{route.api}.total"] += 1
        try:
            if route.auth:
                self._authenticate(route, request)
            fault = self.faults.take(route.name, CALL_FAULTS) if route.api != "control" else None
            if fault is not None:
                return self._fault_response(route, fault)
            result = route.handler(request)
            response = result if isinstance(result, Response) else Response(200, result)
        except ApiError as error:
            response = Response(error.status, error.body, error.headers)
        if route.api == "salesforce":
            used = self.counters["salesforce.total"]
            response.headers.setdefault("Sforce-Limit-Info", f"api-usage={used}/{SALESFORCE_DAILY_API_LIMIT}")
        return response

    # ---- auth --------------------------------------------------------------------------------
    def issue_salesforce_session(self) -> str:
        token = "00D000000000001!" + uuid.uuid4().hex
        self.salesforce_sessions.add(token)
        return token

    def _authenticate(self, route: Route, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header.split(" ", 1)[1].strip() if " " in header else ""
        if route.api == "salesforce" and token not in self.salesforce_sessions:
            raise ApiError(401, salesforce_error("INVALID_SESSION_ID", "Session expired or invalid"))
        if route.api == "hubspot" and token != self.credentials.hubspot_token:
            raise ApiError(401, hubspot_error("INVALID_AUTHENTICATION", _HUBSPOT_BAD_TOKEN))

    # ---- faults ------------------------------------------------------------------------------
    def _fault_response(self, route: Route, fault: Fault) -> Response:
        if fault.kind == "drop_connection":
            raise DropConnection(Response())
        if fault.kind == "expired_session":
            self.salesforce_sessions.clear()
        salesforce = route.api == "salesforce"
        if fault.kind == "status_429":
            body = (
                salesforce_error("REQUEST_LIMIT_EXCEEDED", "Too many concurrent requests")
                if salesforce
                else hubspot_error(
                    "RATE_LIMITS", "You have reached your secondly limit.", policyName="SECONDLY"
                )
            )
            return Response(429, body, {"Retry-After": str(fault.retry_after)})
        if fault.kind == "status_503":
            body = (
                salesforce_error("SERVER_UNAVAILABLE", "Server temporarily unavailable")
                if salesforce
                else hubspot_error("SERVICE_UNAVAILABLE", "Service temporarily unavailable")
            )
            return Response(503, body)
        if fault.kind == "request_limit":
            return Response(403, salesforce_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
        # expired_session
        if salesforce:
            return Response(401, salesforce_error("INVALID_SESSION_ID", "Session expired or invalid"))
        return Response(
            401, hubspot_error("EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired")
        )

    def _not_found(self, request: Request) -> Response:
        if request.path.startswith("/services/"):
            return Response(404, salesforce_error("NOT_FOUND", "The requested resource does not exist"))
        return Response(404, hubspot_error("OBJECT_NOT_FOUND", f"Unknown path {request.path}"))

    # ---- control surface (tests and benchmarks; never counted) --------------------------------
    def _register_control_routes(self) -> None:
        self.route("GET", r"/__sandbox/health", "control.health", "control", auth=False)(
            lambda r: {"ok": True}
        )
        self.route("GET", r"/__sandbox/counters", "control.counters", "control", auth=False)(
            lambda r: dict(self.counters)
        )
        self.route("POST", r"/__sandbox/counters/reset", "control.reset", "control", auth=False)(
            lambda r: self.counters.clear() or {}
        )
        self.route("GET", r"/__sandbox/faults", "control.faults", "control", auth=False)(
            lambda r: self.faults.list()
        )
        self.route("POST", r"/__sandbox/faults", "control.add_fault", "control", auth=False)(self._add_faults)
        self.route("DELETE", r"/__sandbox/faults", "control.clear_faults", "control", auth=False)(
            lambda r: self.faults.clear() or {}
        )
        self.route("POST", r"/__sandbox/flush", "control.flush", "control", auth=False)(
            lambda r: self.store.flush() or {}
        )
        self.route("POST", r"/__sandbox/clock", "control.clock", "control", auth=False)(self._set_clock)

    def _add_faults(self, request: Request) -> Any:
        body = request.json()
        specs = body if isinstance(body, list) else [body]
        try:
            return [asdict(self.faults.add(Fault(**spec))) for spec in specs]
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"message": str(exc)}) from exc

    def _set_clock(self, request: Request) -> Any:
        now = (request.json() or {}).get("now")
        if now is None:
            self.store.set_clock(lambda: datetime.now(UTC))
        else:
            fixed = datetime.fromisoformat(now.replace("Z", "+00:00"))
            self.store.set_clock(lambda: fixed)
        return {"now": now}


_HUBSPOT_BAD_TOKEN = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def salesforce_error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    """Salesforce REST errors are a JSON array (simple-salesforce's re-login relies on it)."""
    error: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        error["fields"] = fields
    return [error]


def hubspot_error(category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }


# ---- HTTP plumbing ----------------------------------------------------------------------------


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TLS handshake per client, not per call
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed
    # ACK, costing ~40 ms per call on a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "cadence-sandbox/1.0"
    sandbox: Sandbox  # set on the subclass made per listener
    scheme: str

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()  # here, in the worker thread, not in accept()

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and benchmarks read counters, not access logs

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"{self.scheme}://{self.headers.get('Host', '127.0.0.1')}",
        )
        try:
            response = self.sandbox.handle(request)
        except DropConnection:
            self._send(Response(200, {"records": [{"partial": True}] * 50}), truncate=True)
            return
        self._send(response)

    def _send(self, response: Response, truncate: bool = False) -> None:
        payload = response.body if isinstance(response.body, bytes) else orjson.dumps(response.body)
        if response.body is None and response.status == 204:
            payload = b""
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


@dataclass
class RunningSandbox:
    """A started sandbox: where it listens and how a client trusts it."""

    sandbox: Sandbox
    https_url: str  # Salesforce (and HubSpot) over TLS
    http_url: str  # HubSpot (and Salesforce) over plain HTTP
    ca_path: Path  # PEM of the CA that signed the TLS certificate

    @property
    def store(self) -> OrgStore:
        return self.sandbox.store

    @property
    def counters(self) -> Counter[str]:
        return self.sandbox.counters

    def salesforce_config(self, **overrides: Any) -> SalesforceConfig:
        """How a client logs in to this sandbox's Salesforce (client-credentials grant over TLS)."""
        credentials = self.sandbox.credentials
        values: dict[str, Any] = {
            "login_url": self.https_url,
            "client_id": credentials.salesforce_client_id,
            "client_secret": credentials.salesforce_client_secret,
            "ca_bundle": str(self.ca_path),
        }
        return SalesforceConfig(**{**values, **overrides})

    def hubspot_config(self, **overrides: Any) -> HubSpotConfig:
        values: dict[str, Any] = {
            "access_token": self.sandbox.credentials.hubspot_token,
            "base_url": self.http_url,
        }
        return HubSpotConfig(**{**values, **overrides})


def _make_ssl_context(ca_dir: Path) -> tuple[ssl.SSLContext, Path]:
    import trustme

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost", "::1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_path = ca_dir / "sandbox-ca.pem"
    authority.cert_pem.write_to_path(str(ca_path))
    return context, ca_path


def _listener(sandbox: Sandbox, host: str, port: int, context: ssl.SSLContext | None) -> _Listener:
    scheme = "https" if context else "http"
    handler = type("SandboxHandler", (_RequestHandler,), {"sandbox": sandbox, "scheme": scheme})
    server = _Listener((host, port), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    return server


@contextmanager
def serve_sandbox(
    store: OrgStore,
    host: str = "127.0.0.1",
    https_port: int = 0,
    http_port: int = 0,
    ca_dir: Path | None = None,
    credentials: SandboxCredentials | None = None,
) -> Iterator[RunningSandbox]:
    """Serve the org on loopback (HTTPS and HTTP) until the block ends; the org is flushed on exit."""
    sandbox = Sandbox(store, credentials)
    with tempfile.TemporaryDirectory(prefix="cadence-sandbox-") as scratch:
        ca_dir = Path(ca_dir or scratch)
        ca_dir.mkdir(parents=True, exist_ok=True)
        context, ca_path = _make_ssl_context(ca_dir)
        listeners = [_listener(sandbox, host, https_port, context), _listener(sandbox, host, http_port, None)]
        # A short poll interval: shutdown() waits up to one interval per listener (0.5 s by default).
        threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for s in listeners
        ]
        for thread in threads:
            thread.start()
        try:
            yield RunningSandbox(
                sandbox=sandbox,
                https_url=f"https://{host}:{listeners[0].server_address[1]}",
                http_url=f"http://{host}:{listeners[1].server_address[1]}",
                ca_path=ca_path,
            )
        finally:
            for server in listeners:
                server.shutdown()
                server.server_close()
            store.close()
