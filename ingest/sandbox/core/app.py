"""The sandbox application: routes, counters and faults around one org store, for the APIs mounted on it.

The core knows no CRM. Each CRM package registers its routes (`Sandbox.route`) and mounts an
`ApiHooks` under its API name (`Sandbox.mount`): how that API authenticates a call, answers a fault
or an unknown path in its own error format, and decorates its responses.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ingest.sandbox.core.control import CONTROL, check_control_token, register_control_routes
from ingest.sandbox.core.faults import CALL_FAULTS, Fault, FaultInjector
from ingest.sandbox.core.http import ApiError, DropConnection, MalformedRequest, Request, Response
from ingest.sandbox.core.store import DocumentStore

Handler = Callable[[Request], Response | Any]


class ApiHooks(Protocol):
    """What the core asks of a mounted API; every answer is in that API's own error format."""

    def authenticate(self, request: Request) -> None:
        """Raise ApiError (401) unless the call carries a valid credential."""

    def fault_response(self, fault: Fault) -> Response:
        """The answer to a call-level fault (every kind but drop_connection)."""

    def expire_sessions(self) -> None:
        """Invalidate every session issued so far (an expired_session fault on any route)."""

    def not_found(self, request: Request) -> Response:
        """The answer to a path under this API's prefix that no route matches."""

    def finish(self, response: Response) -> None:
        """Add per-response headers (e.g. API usage) to an answered call."""

    def error(self, status: int, code: str, message: str) -> Response:
        """A request this API cannot read (bad JSON, length, method...), in its own error format."""


Registrar = Callable[["Sandbox"], None]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # counter key, "<api>.<action>"
    api: str  # the mounted API's name, or "control"
    handler: Handler
    auth: bool = True


class Sandbox:
    """The application: routes, auth state, counters and faults around one DocumentStore.

    `apis` are registrars, each `register(sandbox)`: it mounts its hooks and adds its routes.
    `credentials` is whatever the mounted APIs accept; the core only carries it. `control_token` guards
    the control surface (`/__sandbox/...`); a random one is made when none is given.
    """

    def __init__(
        self,
        store: DocumentStore,
        credentials: Any = None,
        apis: Sequence[Registrar] = (),
        control_token: str | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.control_token = control_token or secrets.token_urlsafe(24)
        self.counters: Counter[str] = Counter()
        self.faults = FaultInjector()
        self.routes: list[Route] = []
        self.apis: dict[str, ApiHooks] = {}
        self._prefixes: list[tuple[str, ApiHooks]] = []
        self._counter_lock = threading.Lock()
        register_control_routes(self)
        for register in apis:
            register(self)

    # ---- registration ------------------------------------------------------------------------
    def mount(self, name: str, hooks: ApiHooks, path_prefix: str) -> None:
        """Serve API `name`; an unmatched path under `path_prefix` (longest prefix wins) is its 404."""
        self.apis[name] = hooks
        self._prefixes.append((path_prefix, hooks))
        self._prefixes.sort(key=lambda entry: len(entry[0]), reverse=True)

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

    def hooks_for(self, path: str) -> ApiHooks | None:
        """The API mounted over `path` (longest prefix), None for the control surface and elsewhere."""
        for prefix, hooks in self._prefixes:
            if path.startswith(prefix):
                return hooks
        return None

    def error_response(self, path: str, status: int, code: str, message: str) -> Response:
        """An unreadable request's answer, in the error format of the API `path` is under."""
        hooks = self.hooks_for(path)
        if hooks is None:
            return Response(status, {"message": message, "errorCode": code})
        return hooks.error(status, code, message)

    # ---- dispatch ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Answer one request. Its body is read (`Request.load_body`) only once the call is authenticated,
        so an anonymous client cannot make the sandbox read (and hold) a large body."""
        matched = self.match(request.method, request.path)
        if matched is None:
            return self._not_found(request)
        route, request.params = matched
        hooks = self.apis.get(route.api)  # None for the control surface: not counted, no faults
        if hooks is not None:
            with self._counter_lock:
                self.counters[route.name] += 1
                self.counters[f"{route.api}.total"] += 1
        try:
            # Durable before answered: the call's writes reach the org file before its answer is sent.
            with self.store.durable_writes():
                response = self._answer(route, hooks, request)
        except DropConnection:
            raise  # the listener's to act on (a fault), not an error to answer
        except MalformedRequest as error:
            response = self.error_response(request.path, error.status, error.code, error.message)
        except ApiError as error:
            response = Response(error.status, error.body, error.headers)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
            # A body or parameter of the wrong shape reaching a handler (`{"inputs": "x"}`, `limit=abc`):
            # the client's mistake, answered as the CRM answers unreadable input, never a dropped socket.
            message = f"malformed request: {type(error).__name__}: {error}"
            response = self.error_response(request.path, 400, "JSON_PARSER_ERROR", message)
        except Exception as error:  # a sandbox bug: still an answer (the vendor's 500), and its traceback
            traceback.print_exc(file=sys.stderr)
            response = self.error_response(request.path, 500, "UNKNOWN_EXCEPTION", type(error).__name__)
        if hooks is not None:
            hooks.finish(response)
        return response

    def _answer(self, route: Route, hooks: ApiHooks | None, request: Request) -> Response:
        if route.api == CONTROL:
            check_control_token(self, route.name, request)
        elif route.auth and hooks is not None:
            hooks.authenticate(request)
        request.load_body()
        fault = self.faults.take(route.name, CALL_FAULTS) if hooks is not None else None
        if fault is not None and fault.kind == "drop_after_apply":
            _apply_then_drop(route.handler, request)
        if fault is not None and hooks is not None:
            return self._fault_response(hooks, fault)
        result = route.handler(request)
        return result if isinstance(result, Response) else Response(200, result)

    def _fault_response(self, hooks: ApiHooks, fault: Fault) -> Response:
        if fault.kind == "drop_connection":
            raise DropConnection(Response())
        if fault.kind == "expired_session":
            for mounted in self.apis.values():  # sessions die sandbox-wide, as they always did
                mounted.expire_sessions()
        return hooks.fault_response(fault)

    def _not_found(self, request: Request) -> Response:
        allowed = sorted({route.method for route in self.routes if route.pattern.match(request.path)})
        if allowed:  # the path exists, not with this method: 405, as both CRMs answer
            message = f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}"
            return self.error_response(request.path, 405, "METHOD_NOT_ALLOWED", message)
        hooks = self.hooks_for(request.path)
        if hooks is not None:
            return hooks.not_found(request)
        return Response(404, {"message": f"Unknown path {request.path}"})


def _apply_then_drop(handler: Handler, request: Request) -> None:
    """Run the call (its writes commit), then lose its answer, whatever it was."""
    with contextlib.suppress(ApiError):  # an error answer is lost the same way
        handler(request)
    raise DropConnection(None)
