"""The listeners: one sandbox served on loopback over HTTPS (with its own CA, made with trustme:
some clients only build https:// URLs) and over plain HTTP, until the block ends."""

from __future__ import annotations

import ssl
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.http import DropConnection, Request, Response
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
        except DropConnection as dropped:
            if dropped.response is None:  # nothing at all: the client sees the server disconnect
                self.close_connection = True
                return
            self._send(Response(200, {"records": [{"partial": True}] * 50}), truncate=True)
            return
        self._send(response)

    def _send(self, response: Response, truncate: bool = False) -> None:
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
