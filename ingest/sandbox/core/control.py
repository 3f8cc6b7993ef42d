"""The control surface (`/__sandbox/...`): health, counters, faults, flush, clock. For tests and
benchmarks; never counted, never authenticated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ingest.sandbox.core.clock import frozen_at, running_from, utc_now
from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Request

if TYPE_CHECKING:
    from ingest.sandbox.core.app import Sandbox

CONTROL = "control"  # the `api` of control routes: no API is mounted under it


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
    body = request.json() or {}
    now, running = body.get("now"), bool(body.get("running"))
    if now is None:
        sandbox.store.set_clock(utc_now)
    else:
        try:
            moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except (AttributeError, ValueError) as exc:
            raise ApiError(400, {"message": f"now must be an ISO-8601 instant, not {now!r}"}) from exc
        sandbox.store.set_clock(running_from(moment) if running else frozen_at(moment))
    return {"now": now, "running": running}
