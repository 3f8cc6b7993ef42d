"""The sandbox CRM in a process of its own, so the benchmarked client never shares its GIL.

The org is served from memory and never persisted (a 1M-record org would be rewritten after every
write); the clock starts the day after the org's anchor date and runs (the realistic profile's search
lag and rate-limit windows pass as in production; a frozen clock would stop both).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

from ingest.sandbox.core.listeners import control_call
from ingest.sandbox.credentials import SandboxCredentials

# Objects whose records a "P% changed" step touches (users and owners are not edited through the API).
CHANGEABLE = {
    "salesforce": ("Account", "Contact", "Event", "Task", "Opportunity"),
    "hubspot": ("companies", "contacts", "meetings", "tasks", "deals"),
}


@dataclass(frozen=True)
class SandboxEndpoints:
    https_url: str
    http_url: str
    ca_path: str
    control_token: str  # the serving process's, for its control surface

    @property
    def credentials(self) -> SandboxCredentials:
        """The sandbox's default (public) credentials: the serving process uses those."""
        return SandboxCredentials()

    def counters(self) -> dict[str, int]:
        counters = control_call(self.http_url, self.control_token, "GET", "/__sandbox/counters")
        return {name: int(count) for name, count in counters.items()}

    def search_lag_seconds(self) -> float:
        """How long HubSpot search trails writes (the sandbox's `search_lag_seconds` knob)."""
        behaviour = control_call(self.http_url, self.control_token, "GET", "/__sandbox/hubspot/behaviour")
        return float(behaviour.get("search_lag_seconds") or 0)


class SandboxProcess:
    """Commands to the serving process: pick records to change, stop."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.endpoints: SandboxEndpoints = self._receive()

    def _receive(self) -> Any:
        if not self.conn.poll(600):
            raise RuntimeError("the sandbox process did not answer within 10 minutes")
        answer = self.conn.recv()
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def ids_to_change(self, percent: float) -> dict[str, dict[str, list[str]]]:
        """Every (100/percent)-th live record of each changeable object, per CRM."""
        self.conn.send(("ids", percent))
        return self._receive()

    def stop(self) -> None:
        if self.process.is_alive():
            self.conn.send(("stop",))
        self.process.join(timeout=60)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


@contextmanager
def sandbox_process(org_path: Path, anchor: date, ca_dir: Path) -> Iterator[SandboxProcess]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(org_path, anchor, ca_dir, theirs), name="cadence-sandbox")
    process.start()
    running = SandboxProcess(process, ours)
    try:
        yield running
    finally:
        running.stop()


def _serve(org_path: Path, anchor: date, ca_dir: Path, conn: Connection) -> None:
    from ingest.sandbox import OrgStore, serve_sandbox
    from ingest.sandbox.core.clock import running_from

    try:
        store = OrgStore(orjson.loads(org_path.read_bytes()))  # no path: never persisted
        store.set_clock(running_from(datetime.combine(anchor + timedelta(days=1), time(1), UTC)))
        with serve_sandbox(store, ca_dir=ca_dir) as running:
            endpoints = (running.https_url, running.http_url, str(running.ca_path), running.control_token)
            conn.send(SandboxEndpoints(*endpoints))
            _command_loop(store, conn)
    except BaseException as error:  # reported to the parent, which raises it
        conn.send(RuntimeError(f"sandbox process failed: {type(error).__name__}: {error}"))


def _command_loop(store: Any, conn: Connection) -> None:
    while True:
        command = conn.recv()
        if command[0] == "stop":
            return
        if command[0] == "ids":
            conn.send(_pick_ids(store, command[1]))


def _pick_ids(store: Any, percent: float) -> dict[str, dict[str, list[str]]]:
    step = max(1, round(100 / percent)) if percent > 0 else 0
    picked: dict[str, dict[str, list[str]]] = {}
    with store.lock:
        for crm, collections in (("salesforce", store.salesforce), ("hubspot", store.hubspot)):
            for name in CHANGEABLE[crm]:
                live = [rid for rid, rec in collections.get(name, {}).items() if _is_live(rec)]
                if live:
                    picked.setdefault(crm, {})[name] = live[::step] if step else []
    return picked


def _is_live(record: dict[str, Any]) -> bool:
    return not record.get("IsDeleted") and not record.get("archived")
