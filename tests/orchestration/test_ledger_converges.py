"""The writeback ledger converges to the CRM (issue 18 item 1), both CRMs, realistic sandbox profile.

- (a) The issue's reproduction: `cadence demo` killed with SIGKILL right after one CRM's writeback step
  finished (its progress line), then two reruns: every overdue account holds exactly one open pipeline
  task and no key was created twice (the sandbox saved every answered write before answering it).
- (b) A task the ledger holds as `created` is gone from the CRM before the next sync ever read it:
  the next night looks its key up, does not find it, creates it again and reports `recreated 1`.
- (c) A writeback-only rerun right after the creates (no sync since) sends nothing: every create is
  `suppressed`, since the raw layer cannot have seen the tasks yet.
- The split itself (suppressed until a completed sync, then looked up) against a scripted writer.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import orjson
import pytest

from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import OrgStore, RunningSandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import salesforce_config
from orchestration.load_gate import record_passed_load
from orchestration.writeback.ledger import Ledger
from orchestration.writeback.run import write_back
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag
from tests.orchestration.harness import (
    FAST,
    HS_CREATES,
    HS_UPDATES,
    SF_WRITES,
    open_pipeline_tasks_per_account,
    overdue_without_planned_visit,
    pipeline_tasks,
    run_audit,
    task_id,
    task_key,
    write_back_only,
)
from tests.orchestration.test_writeback_branches import ScriptedWriter
from tests.orchestration.test_writeback_branches import _create as create_action

AS_OF = date(2026, 11, 27)
CRMS = ("salesforce", "hubspot")
ACCOUNTS = 220  # per CRM: 45 overdue accounts (seed 23), one create batch in each CRM
CADENCE = Path(sys.executable).with_name("cadence")


def _realistic_org() -> dict[str, Any]:
    # No junk: an ownerless account would stop the run at the quality gate, which is not under test here.
    org = generate_org(accounts=ACCOUNTS, seed=23, anchor_date=AS_OF, junk=False)
    org["salesforce"]["_profile"] = "realistic"
    org["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return org


def _one_open_task_per_overdue_account(running: Any, warehouse: Path) -> dict[str, int]:
    """Every overdue account (no planned visit) holds exactly one open pipeline task, and no key was
    ever created twice; the number of such accounts per CRM."""
    counts = {}
    for crm in CRMS:
        due = overdue_without_planned_visit(warehouse, crm, AS_OF)
        assert open_pipeline_tasks_per_account(running, crm) == Counter(dict.fromkeys(due, 1)), crm
        keys = Counter(task_key(crm, task) for task in pipeline_tasks(running, crm))
        assert set(keys.values()) == {1}, f"{crm}: a key created twice"
        counts[crm] = len(due)
    return counts


# ---- the split, against a scripted writer ----------------------------------------------------------
def _completed_sync(warehouse: Path, seen_task_ids: list[str]) -> None:
    """A HubSpot sync that loaded these task ids, then passed its raw checks (as the nightly job records)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw_hubspot")
        con.execute("create table if not exists raw_hubspot.tasks (id varchar)")
        con.execute("create table if not exists raw_hubspot._dlt_loads (load_id varchar, status integer)")
        con.executemany("insert into raw_hubspot.tasks values (?)", [[i] for i in seen_task_ids])
        con.execute("insert into raw_hubspot._dlt_loads values (?, 0)", [str(time.time())])
    record_passed_load(warehouse, "hubspot", "sync")


def _night(writer: ScriptedWriter, warehouse: Path, keys: list[int]) -> Any:
    ledger = Ledger.open(warehouse, "run", "hubspot")
    try:
        return write_back(writer, [create_action(n) for n in keys], ledger, max_tasks_per_run=10)
    finally:
        ledger.close()


def test_suppression_lasts_until_a_completed_sync_then_the_crm_is_asked(tmp_path: Path) -> None:
    warehouse, writer = tmp_path / "w.duckdb", ScriptedWriter()
    assert _night(writer, warehouse, [1, 2, 3, 4]).created == 4  # T1..T4, two calls of 3 and 1
    rerun = _night(writer, warehouse, [1, 2, 3, 4])  # no sync since: the raw layer cannot hold them
    assert (rerun.suppressed, rerun.created, len(writer.sent), writer.looked_up) == (4, 0, 2, [])

    del writer.tasks[create_action(3).task_key]  # the CRM lost task T3
    _completed_sync(warehouse, ["T1", "T2"])  # ... and the sync missed T4 (a lagging index)
    night = _night(writer, warehouse, [3, 4])  # the marts queue what the raw layer lacks
    counts = (night.suppressed, night.reconciled, night.created, night.recreated)
    assert counts == (0, 1, 1, 1)
    assert writer.looked_up == [[create_action(3).task_key, create_action(4).task_key]]
    assert writer.sent[-1] == [create_action(3).task_key]  # only the lost one is sent again

    again = _night(writer, warehouse, [3, 4])  # no sync since: both held back again, nothing asked
    assert (again.suppressed, again.created, len(writer.looked_up)) == (2, 0, 1)


# ---- (b) a created task the CRM lost before the next sync ----------------------------------------
def _delete_for_good(running: RunningSandbox, crm: str, task: dict[str, Any]) -> None:
    """Delete a task through the CRM's API and purge it (Salesforce's Recycle Bin emptied, HubSpot's
    permanent delete), so no sync can ever read it: as if the CRM had lost the acknowledged write."""
    if crm == "salesforce":
        client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
        client.call(lambda sf: sf.Task.delete(task_id(task)))
        running.control("POST", "/__sandbox/salesforce/recycle_bin/empty", {})
    else:
        running.control("POST", "/__sandbox/hubspot/purge", {"objectType": "tasks", "ids": [task_id(task)]})


def test_a_created_task_missing_after_the_next_sync_is_created_again(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_realistic_org())
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_audit(running, warehouse, AS_OF)
    assert first.summary.succeeded, first.summary.error
    n = _one_open_task_per_overdue_account(running, warehouse)
    assert n == {"salesforce": 45, "hubspot": 45}, n
    lost = {}
    for crm in CRMS:
        victim = min(pipeline_tasks(running, crm), key=lambda t: task_key(crm, t) or "")
        lost[crm] = task_key(crm, victim)
        _delete_for_good(running, crm, victim)
    after_search_lag(running)

    second = run_audit(running, warehouse, AS_OF)

    assert second.summary.succeeded, second.summary.error
    assert _one_open_task_per_overdue_account(running, warehouse) == n
    assert second.writes() == {SF_WRITES: 1, HS_CREATES: 1, HS_UPDATES: 0}
    for crm in CRMS:
        wb = second.summary.writeback[crm]
        assert (wb["created"], wb["recreated"], wb["reconciled"], wb["suppressed"]) == (1, 1, 0, 0), wb
        assert lost[crm] in {task_key(crm, t) for t in pipeline_tasks(running, crm)}  # the same key
        assert f"{crm} ledger: suppressed 0 " in second.summary.render()
        assert "recreated 1 (missing from the CRM, created again)" in second.summary.render()

    third = run_audit(running, warehouse, AS_OF)  # converged: nothing left to do
    assert third.summary.succeeded, third.summary.error
    assert third.writes() == {SF_WRITES: 0, HS_CREATES: 0, HS_UPDATES: 0}
    assert _one_open_task_per_overdue_account(running, warehouse) == n


# ---- (c) a writeback-only rerun ------------------------------------------------------------------
def test_a_writeback_only_rerun_right_after_the_creates_sends_nothing(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_realistic_org())
    warehouse = tmp_path / "warehouse.duckdb"
    night = run_audit(running, warehouse, AS_OF)
    assert night.summary.succeeded, night.summary.error
    n = _one_open_task_per_overdue_account(running, warehouse)
    before = Counter(running.counters)

    reruns = {crm: write_back_only(running, warehouse, crm) for crm in CRMS}

    calls = Counter(running.counters)
    calls.subtract(before)
    assert {name: calls[name] for name in (SF_WRITES, HS_CREATES, HS_UPDATES)} == dict.fromkeys(
        (SF_WRITES, HS_CREATES, HS_UPDATES), 0
    )
    for crm in CRMS:
        summary = reruns[crm]
        # The queue still asks for every task (the marts predate them); the ledger holds them all back.
        counts = (summary.suppressed, summary.created, summary.reconciled, summary.recreated)
        assert counts == (n[crm], 0, 0, 0), crm
    assert _one_open_task_per_overdue_account(running, warehouse) == n


# ---- (a) kill -9 of `cadence demo` right after a CRM's writeback ---------------------------------
_ROW = re.compile(r"^\s+(salesforce|hubspot)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s*$")


def _demo(org: Path, warehouse: Path, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE"))}
    command = [str(CADENCE), "demo", "--org", str(org), "--warehouse", str(warehouse),
               "--as-of", AS_OF.isoformat()]  # fmt: skip
    return subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _kill_after_first_writeback(demo: subprocess.Popen[str], timeout: float = 600) -> str:
    """SIGKILL the demo the moment its progress log says one CRM's writeback step is done; that CRM."""
    assert demo.stderr is not None
    deadline = time.monotonic() + timeout
    for line in demo.stderr:  # one progress line per step event
        found = re.search(r"(salesforce|hubspot)_task_writeback: done", line)
        if found:
            demo.send_signal(signal.SIGKILL)
            demo.wait(timeout=60)
            return found[1]
        assert time.monotonic() < deadline, "no writeback step finished in time"
    raise AssertionError(f"cadence demo ended (exit {demo.wait()}) before a writeback step finished")


def _created(demo: subprocess.Popen[str]) -> dict[str, int]:
    """The `created` column of a finished demo's summary, per CRM."""
    out, err = demo.communicate(timeout=900)
    assert demo.returncode == 0, f"{out}\n{err}"
    rows = {m[1]: int(m[4].replace(",", "")) for line in out.splitlines() if (m := _ROW.match(line))}
    assert set(rows) == set(CRMS), out
    return rows


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kills a child process")
def test_kill_9_of_the_demo_right_after_a_writeback_then_two_reruns(tmp_path: Path) -> None:
    org, warehouse = tmp_path / "org.json", tmp_path / "warehouse.duckdb"
    org.write_bytes(orjson.dumps(_realistic_org()))

    killed_after = _kill_after_first_writeback(_demo(org, warehouse, tmp_path))
    # What the CRM had answered is in the org file: the killed CRM's tasks, each once.
    crm_state = SimpleNamespace(store=OrgStore.load(org))
    written = {crm: len(pipeline_tasks(crm_state, crm)) for crm in CRMS}  # type: ignore[arg-type]
    assert written[killed_after] > 0, written

    first = _created(_demo(org, warehouse, tmp_path))
    second = _created(_demo(org, warehouse, tmp_path))

    crm_state = SimpleNamespace(store=OrgStore.load(org))
    n = _one_open_task_per_overdue_account(crm_state, warehouse)
    assert first[killed_after] == 0, first  # the killed CRM's answered writes were all kept
    for crm in CRMS:
        assert written[crm] + first[crm] == n[crm], (crm, written, first, n)
    assert second == dict.fromkeys(CRMS, 0)
    print(f"killed after {killed_after}'s writeback; tasks then {written}; rerun 1 created {first}")
