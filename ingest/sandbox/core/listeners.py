"""The listeners: one sandbox served on loopback over HTTPS (with its own CA, made with trustme:
some clients only build https:// URLs) and over plain HTTP, until the block ends."""

from __future__ import annotations

import ssl
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.control import CONTROL_TOKEN_HEADER
from ingest.sandbox.core.http import DropConnection, MalformedRequest, Request, Response
from ingest.sandbox.core.limits import BODY_READ_TIMEOUT, check_head_size, content_length
from ingest.sandbox.core.store import DocumentStore


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

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header from the sandbox clock, not this host's: a real CRM's `Date` is its own
        clock (RFC 9110 §6.6.1, "the date and time at which the message was originated"), which is what
        clients read as the CRM's now (cursor ceilings, quarantine sightings). A test that sets the
        sandbox clock to another day must see that day there too."""
        if timestamp is None:
            timestamp = self.sandbox.store.clock_reading().timestamp()
        return super().date_time_string(timestamp)

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and benchmarks read counters, not access logs

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a bad request line, an unknown method, headers too long) in the
        error format of the API the path is under, not its HTML page."""
        path = urlsplit(getattr(self, "path", "") or "").path
        text = message or explain or HTTPStatus(code).phrase
        code_name = "METHOD_NOT_ALLOWED" if code == HTTPStatus.NOT_IMPLEMENTED else "JSON_PARSER_ERROR"
        self.close_connection = True
        # A request line it could not parse leaves http.server on HTTP/0.9, which sends no status line.
        self.request_version = "HTTP/1.1"
        response = self.sandbox.error_response(path, code, code_name, text)
        self._send(response, head_only=getattr(self, "command", None) == "HEAD")

    def _dispatch(self) -> None:
        try:
            request = self._request()
        except MalformedRequest as bad:  # unreadable framing: answer, then close (the body is unread)
            self.close_connection = True
            path = urlsplit(self.path).path
            self._send(self.sandbox.error_response(path, bad.status, bad.code, bad.message))
            return
        try:
            response = self.sandbox.handle(request)
        except DropConnection as dropped:
            if dropped.response is None:  # nothing at all: the client sees the server disconnect
                self.close_connection = True
                return
            self._send(Response(200, {"records": [{"partial": True}] * 50}), truncate=True)
            return
        if request.body_reader is not None:  # refused before its body was read: the stream is unusable
            self.close_connection = True
        self._send(response, head_only=self.command == "HEAD")

    def _request(self) -> Request:
        split = urlsplit(self.path)
        check_head_size(self.path, self.headers)
        length = content_length(self.headers)
        return Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=b"",
            base_url=f"{self.scheme}://{self.headers.get('Host', '127.0.0.1')}",
            body_reader=(lambda: self._read_body(length)) if length else None,
        )

    def _read_body(self, length: int) -> bytes:
        """The body, read after the call was authenticated; a client that stalls mid-body is dropped."""
        self.connection.settimeout(BODY_READ_TIMEOUT)
        try:
            body = self.rfile.read(length)
        except TimeoutError as exc:
            raise MalformedRequest("the request body did not arrive", status=408) from exc
        finally:
            self.connection.settimeout(None)
        if len(body) < length:
            raise MalformedRequest(f"the body ended after {len(body)} of {length} bytes (Content-Length)")
        return body

    def _send(self, response: Response, truncate: bool = False, head_only: bool = False) -> None:
        payload = response.body if isinstance(response.body, bytes) else orjson.dumps(response.body)
        if response.body is None and response.status == 204:
            payload = b""
        self.send_response(response.status)
        if not any(name.lower() == "content-type" for name in response.headers):  # JSON unless told
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
        if not head_only:
            self.wfile.write(payload)

    # Every method a client may send reaches the app, which answers 405 in the API's format when
    # the path exists with other methods (an unknown method name is http.server's 501, send_error).
    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_TRACE = _dispatch


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (reset, broken pipe, TLS abort) is routine for a server, not a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def control_headers(token: str) -> dict[str, str]:
    return {CONTROL_TOKEN_HEADER: token}


def control_call(
    base_url: str, token: str, method: str, path: str, body: Any = None, expect: int | None = 200
) -> Any:
    """A control call to the sandbox at `base_url` (also one in another process, given its token)."""
    import requests

    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    url, headers = f"{base_url}{path}", control_headers(token)
    answer = requests.request(method, url, headers=headers, timeout=30, **kwargs)
    if expect is not None and answer.status_code != expect:
        raise RuntimeError(f"control {method} {path} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json() if answer.content else None


@dataclass
class RunningSandbox:
    """A started sandbox: where it listens and how a client trusts it."""

    sandbox: Sandbox
    https_url: str  # every API over TLS
    http_url: str  # every API over plain HTTP
    ca_path: Path  # PEM of the CA that signed the TLS certificate

    @property
    def store(self) -> Any:
        return self.sandbox.store

    @property
    def counters(self) -> Counter[str]:
        return self.sandbox.counters

    @property
    def credentials(self) -> Any:
        return self.sandbox.credentials

    @property
    def control_token(self) -> str:
        return self.sandbox.control_token

    def control_headers(self) -> dict[str, str]:
        """The header every control call (`/__sandbox/...`) must carry."""
        return control_headers(self.control_token)

    def control(self, method: str, path: str, body: Any = None, expect: int | None = 200) -> Any:
        """One control call over HTTP, e.g. control("POST", "/__sandbox/faults", {...}); its JSON answer.

        `path` starts with /__sandbox/. A status other than `expect` raises (expect=None: never);
        use this (or control_headers()) for every control call so the token travels with it.
        """
        return control_call(self.http_url, self.control_token, method, path, body, expect)


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
def serve(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    https_port: int = 0,
    http_port: int = 0,
    ca_dir: Path | None = None,
) -> Iterator[RunningSandbox]:
    """Serve `sandbox` on `host` (HTTPS and HTTP) until the block ends; its store is closed on exit.

    A port already in use raises OSError (EADDRINUSE) before anything is served.
    """
    store: DocumentStore = sandbox.store
    with tempfile.TemporaryDirectory(prefix="cadence-sandbox-") as scratch:
        ca_dir = Path(ca_dir or scratch)
        ca_dir.mkdir(parents=True, exist_ok=True)
        context, ca_path = _make_ssl_context(ca_dir)
        listeners = [_listener(sandbox, host, https_port, context)]
        try:
            listeners.append(_listener(sandbox, host, http_port, None))
        except OSError:
            listeners[0].server_close()
            raise
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
