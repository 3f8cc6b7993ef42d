"""The control surface (`/__sandbox/...`): health, counters, faults, flush, clock. For tests and
benchmarks; never counted, never subject to faults.

Every control call but `health` carries the sandbox's control token (`X-Sandbox-Control-Token`,
printed by `cadence sandbox serve`, `RunningSandbox.control_headers()` in-process): a CRM client, or
anyone else on the machine, must not be able to inject faults, move the clock or reset counters.
The clock may not move more than `CLOCK_FUTURE_BOUND` ahead of the wall clock unless the call says
`"allow_far_future": true`: a clock set years ahead stamps modstamps no real CRM would hand out.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.sandbox.core.clock import frozen_at, running_from, utc_now
from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Request

if TYPE_CHECKING:
    from ingest.sandbox.core.app import Sandbox

CONTROL = "control"  # the `api` of control routes: no API is mounted under it
CONTROL_TOKEN_HEADER = "X-Sandbox-Control-Token"
OPEN_CONTROL_ROUTES = frozenset({"control.health"})  # liveness probes carry no secret
# How far ahead of the wall clock `POST /__sandbox/clock` may go without "allow_far_future": a few
# days covers every test that pins "tomorrow"; a year ahead is a bug (issue 18: 2099 modstamps).
CLOCK_FUTURE_BOUND = timedelta(days=7)


def check_control_token(sandbox: Sandbox, route_name: str, request: Request) -> None:
    """Refuse a control call without the sandbox's token (401) before its body is read."""
    if route_name in OPEN_CONTROL_ROUTES:
        return
    given = request.headers.get(CONTROL_TOKEN_HEADER.lower(), "")
    if not hmac.compare_digest(given.encode(), sandbox.control_token.encode()):
        message = f"control call without the sandbox's control token: send {CONTROL_TOKEN_HEADER}"
        raise ApiError(401, {"message": message, "errorCode": "CONTROL_TOKEN_REQUIRED"})


def register_control_routes(sandbox: Sandbox) -> None:
    def route(method: str, pattern: str, name: str) -> Callable:
        return sandbox.route(method, pattern, f"control.{name}", CONTROL, auth=False)

    route("GET", r"/__sandbox/health", "health")(lambda r: {"ok": True})
    route("GET", r"/__sandbox/counters", "counters")(lambda r: dict(sandbox.counters))
    route("POST", r"/__sandbox/counters/reset", "reset")(lambda r: sandbox.counters.clear() or {})
    route("GET", r"/__sandbox/faults", "faults")(lambda r: sandbox.faults.list())
    route("POST", r"/__sandbox/faults", "add_fault")(lambda r: _add_faults(sandbox, r))
    route("DELETE", r"/__sandbox/faults", "clear_faults")(lambda r: sandbox.faults.clear() or {})
    route("POST", r"/__sandbox/flush", "flush")(lambda r: sandbox.store.flush() or {})
    route("POST", r"/__sandbox/clock", "clock")(lambda r: _set_clock(sandbox, r))


def _add_faults(sandbox: Sandbox, request: Request) -> Any:
    body = request.json()
    specs = body if isinstance(body, list) else [body]
    try:
        return [asdict(sandbox.faults.add(Fault(**spec))) for spec in specs]
    except (TypeError, ValueError) as exc:
        raise ApiError(400, {"message": str(exc)}) from exc


def _set_clock(sandbox: Sandbox, request: Request) -> Any:
    """`{"now": ISO}` freezes the clock there, `{"now": ISO, "running": true}` starts it there and lets
    it run (a night of the realistic profile: lag and rate windows pass), `{}` is wall time."""
    body = request.json()
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise ApiError(400, {"message": 'the clock body is an object: {"now": ISO date-time or null}'})
    now, running = body.get("now"), bool(body.get("running"))
    if now is None:
        sandbox.store.set_clock(utc_now)
        return {"now": now, "running": False}
    try:
        moment = datetime.fromisoformat(str(now).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, {"message": f"now {now!r} is not an ISO 8601 date-time"}) from exc
    if moment.tzinfo is None:
        raise ApiError(400, {"message": f"now {now!r} has no UTC offset; add +00:00 or Z"})
    bound = utc_now() + CLOCK_FUTURE_BOUND
    if moment > bound and body.get("allow_far_future") is not True:
        message = (
            f"now {now} is more than {CLOCK_FUTURE_BOUND.days} days ahead of the wall clock; "
            'send "allow_far_future": true to stamp far-future modstamps on purpose'
        )
        raise ApiError(400, {"message": message, "errorCode": "CLOCK_TOO_FAR_AHEAD"})
    sandbox.store.set_clock(running_from(moment) if running else frozen_at(moment))
    return {"now": now, "running": running}
