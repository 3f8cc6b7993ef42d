"""Nights in a row (issue 18, "Done when"): faults, kills, junk and rep edits, then one right answer.

A small generated org (both CRMs, realistic profiles) is audited once a night for 30 nights (`make soak`;
`make test` runs a ten-night schedule with every kind of event, to stay within the suite's time), the sandbox
clock a day further each night. Between nights reps edit the CRMs through their APIs (complete a task,
append a note to a task's text, log a visit, delete a visit) and an admin's import plants junk (cadence
days 1e12, visit dates that are no date, modstamps in 2099) that is fixed through the API two nights
later. Seeded faults (503, 429, dropped connections, answers lost after the write) hit some nights; on a
few nights a real `cadence run` child is killed with SIGKILL at a random moment. Two settling runs later:

- every overdue account (no planned visit within the grace, an owner who can act) holds exactly one open
  pipeline task, and no other account holds one;
- the last settling run writes nothing and queues nothing;
- every mart equals, row by row, a clean rebuild (fresh warehouse, full sync, same CRM state and as-of).

The seed is fixed and printed, so a failure reproduces.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import Fault, RunningSandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox.hubspot.models import hubspot_timestamp
from ingest.sandbox.salesforce.models import salesforce_timestamp
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.rules import Rules
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag, start_clock_at
from tests.orchestration.harness import (
    FAST,
    WRITE_CALLS,
    Run,
    account_of,
    is_open,
    log_hubspot_meeting,
    log_salesforce_visit,
    open_pipeline_tasks_per_account,
    pipeline_tasks,
    run_audit,
    task_id,
)
from tests.orchestration.test_dbt_stops_with_run import _alive, _children

SEED = 20261201
ACCOUNTS = 40  # per CRM: small enough for 30 nightly runs, big enough for every kind of edit
CLEAN_TAIL = 3  # the last nights: no faults, so the settling runs start from a night that ran whole


@dataclass(frozen=True)
class Schedule:
    nights: int
    kill_nights: tuple[int, ...]  # a real `cadence run` killed with SIGKILL at a random moment
    # planted that night, fixed two nights later; one planting at a time, so at least 3 nights apart
    junk_nights: dict[int, str]


# `make test` runs the ten-night soak (every kind of fault, kill, junk and edit, within the suite's
# time); `make soak` runs the thirty nights (pytest tests/soak --soak-nights 30).
SCHEDULES = {
    10: Schedule(10, (2, 5), {1: "cadence", 4: "dates", 7: "future"}),
    30: Schedule(30, (7, 16, 24), {3: "cadence", 9: "dates", 14: "future"}),
}
CRMS = ("salesforce", "hubspot")
CADENCE = Path(sys.executable).with_name("cadence")
FAULT_KINDS = ("status_503", "status_429", "drop_connection")
FAULT_ENDPOINTS = (
    "salesforce.query", "salesforce.query_more", "salesforce.composite_sobjects", "salesforce.get_deleted",
    "hubspot.search*", "hubspot.batch_read*", "hubspot.batch_create.tasks", "hubspot.batch_update.tasks",
)  # fmt: skip
WRITE_ENDPOINTS = ("salesforce.composite_sobjects", "hubspot.batch_create.tasks")
SF_2099, HS_2099 = "2099-01-01T00:00:00.000+0000", "2099-01-01T00:00:00.000Z"
# Columns stamped with the moment of a run rather than drawn from CRM state: left out of the mart
# comparison. The marts carry none today; a later one (a build stamp, a dlt load id) goes here.
RUN_TIME_COLUMNS = frozenset({"built_at", "_dlt_load_id", "_dlt_id"})


@dataclass
class Soak:
    running: RunningSandbox
    warehouse: Path
    workdir: Path
    rng: random.Random
    schedule: Schedule
    log: list[str] = field(default_factory=list)
    junk: dict[str, Any] = field(default_factory=dict)  # what was planted, to fix it later
    # (crm, account id) -> the night a rep completed the pipeline's task there (a nag dismissed)
    dismissed: dict[tuple[str, str], date] = field(default_factory=dict)


# ---- the nights -----------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_nights_of_faults_kills_junk_and_edits_end_in_one_right_answer(
    start_sandbox: StartSandbox, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    schedule = SCHEDULES[pytestconfig.getoption("soak_nights")]
    nights = schedule.nights
    kills = schedule.kill_nights
    print(f"soak seed {SEED}: {nights} nights, {ACCOUNTS} accounts per CRM, kills on nights {kills}")
    started = time.perf_counter()
    first = datetime.now(UTC).date() - timedelta(days=nights + 1)  # the clock may not run ahead of today
    running = _start(start_sandbox, first)
    soak = Soak(running, tmp_path / "warehouse.duckdb", tmp_path, random.Random(SEED), schedule)
    for night in range(nights):
        _night(soak, night, first + timedelta(days=night))
    last = first + timedelta(days=nights - 1)
    settle = [_settling_run(soak, last) for _ in range(2)]
    assert settle[1].writes() == dict.fromkeys(WRITE_CALLS, 0), settle[1].writes()  # converged
    _assert_one_open_task_per_overdue_account(soak, last)
    # the clean warehouse in a folder of its own, under the nights' file name: their dbt parse holds
    _assert_marts_equal_a_clean_rebuild(soak, tmp_path / "clean" / "warehouse.duckdb", last)
    print("\n".join(soak.log))
    print(f"soak wall time {time.perf_counter() - started:.0f} s")


def _start(start_sandbox: StartSandbox, first: date) -> RunningSandbox:
    document = generate_org(accounts=ACCOUNTS, seed=SEED % 1000, anchor_date=first, junk=False)
    document["salesforce"]["_profile"] = "realistic"
    document["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return start_sandbox(document)


def _night(soak: Soak, night: int, as_of: date) -> None:
    start_clock_at(soak.running, datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=6))
    if night:
        _rep_edits(soak, as_of)
    _junk(soak, night, as_of)
    after_search_lag(soak.running)  # the sync sees tonight's edits, as one a few seconds later would
    if night in soak.schedule.kill_nights:
        _killed_run(soak, as_of)
        return
    faults = _arm_faults(soak) if night < soak.schedule.nights - CLEAN_TAIL else []
    run = run_audit(soak.running, soak.warehouse, as_of, max_tasks_per_run=5000)
    soak.running.sandbox.faults.clear()
    outcome = "ok" if run.summary.succeeded else f"FAILED: {run.summary.error}"
    soak.log.append(f"night {night:2} {as_of} {run.seconds:5.1f} s {faults} {run.writes()} {outcome}")
    if not faults:  # a fault-free night must succeed; a faulted one may fail, and the next recovers
        assert run.summary.succeeded, f"night {night} (seed {SEED}): {run.summary.error}"


def _settling_run(soak: Soak, as_of: date) -> Run:
    after_search_lag(soak.running)
    run = run_audit(soak.running, soak.warehouse, as_of, max_tasks_per_run=5000)
    soak.log.append(f"settle {as_of} {run.seconds:5.1f} s writes {run.writes()}")
    assert run.summary.succeeded, f"settling run (seed {SEED}): {run.summary.error}"
    return run


# ---- faults and kills -----------------------------------------------------------------------------
def _arm_faults(soak: Soak) -> list[str]:
    """Half the nights: one or two faults on random endpoints, each firing once after a few calls."""
    rng, armed = soak.rng, []
    if rng.random() < 0.5:
        return armed
    for _ in range(rng.randint(1, 2)):
        endpoint = rng.choice(FAULT_ENDPOINTS)
        kind = rng.choice(FAULT_KINDS + (("drop_after_apply",) if endpoint in WRITE_ENDPOINTS else ()))
        soak.running.sandbox.faults.add(Fault(kind=kind, endpoint=endpoint, after=rng.randint(0, 2)))
        armed.append(f"{kind}@{endpoint}")
    return armed


def _child_env(running: RunningSandbox) -> dict[str, str]:
    """The settings of a production `cadence run`, handed to the child only (this test reads none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE"))}
    sf, hs = salesforce_config(running), hubspot_config(running)
    settings = {
        "SALESFORCE__LOGIN_URL": sf.login_url, "SALESFORCE__CLIENT_ID": sf.client_id,
        "SALESFORCE__CLIENT_SECRET": sf.client_secret, "SALESFORCE__CA_BUNDLE": sf.ca_bundle,
        "HUBSPOT__BASE_URL": hs.base_url, "HUBSPOT__ACCESS_TOKEN": hs.access_token,
    }  # fmt: skip
    env.update((f"SOURCES__{name}", str(value)) for name, value in settings.items())
    return env


def _killed_run(soak: Soak, as_of: date) -> None:
    """A real `cadence run` killed with SIGKILL at a random moment (sync, dbt or writeback)."""
    delay = soak.rng.uniform(2.0, 30.0)
    command = [str(CADENCE), "run", "--as-of", as_of.isoformat(), "--warehouse", str(soak.warehouse),
               "--max-tasks-per-run", "5000"]  # fmt: skip
    child = subprocess.Popen(
        command, cwd=soak.workdir, env=_child_env(soak.running),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        finished = _wait(child, delay)
        grandchildren = [pid for pid, _ in _children(child.pid)]
        if not finished:
            child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in grandchildren) and time.monotonic() < deadline:
            time.sleep(0.2)  # dbt dies with its parent (PR_SET_PDEATHSIG); let it go before the next run
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    what = f"exited {code} before the kill" if finished else f"killed -9 after {delay:.1f} s"
    soak.log.append(f"night    {as_of} cadence run {what}")


def _wait(child: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        child.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


# ---- reps and admins ----------------------------------------------------------------------------
def _rep_edits(soak: Soak, as_of: date) -> None:
    """One to three edits per CRM, each through the CRM's API as a rep's client would make them."""
    for crm in CRMS:
        for _ in range(soak.rng.randint(1, 3)):
            edit = soak.rng.choice((_complete_task, _append_note, _log_visit, _log_visit, _delete_visit))
            done = edit(soak, crm, as_of)
            if done:
                soak.log.append(f"  edit {crm}: {done}")


def _open_tasks(soak: Soak, crm: str) -> list[dict[str, Any]]:
    return sorted((t for t in pipeline_tasks(soak.running, crm) if is_open(crm, t)), key=task_id)


def _complete_task(soak: Soak, crm: str, as_of: date) -> str | None:
    tasks = _open_tasks(soak, crm)
    if not tasks:
        return None
    task = soak.rng.choice(tasks)
    if crm == "salesforce":
        _salesforce(soak).Task.update(task_id(task), {"Status": "Completed"})
    else:
        _hubspot(soak, "PATCH", f"/crm/v3/objects/tasks/{task_id(task)}", {"hs_task_status": "COMPLETED"})
    soak.dismissed[(crm, account_of(crm, task))] = as_of
    return f"completed task {task_id(task)}"


def _append_note(soak: Soak, crm: str, as_of: date) -> str | None:
    tasks = _open_tasks(soak, crm)
    if not tasks:
        return None
    task = soak.rng.choice(tasks)
    note = f"\nCalled on {as_of}, left a voicemail."
    if crm == "salesforce":
        _salesforce(soak).Task.update(task_id(task), {"Description": (task.get("Description") or "") + note})
    else:
        body = (task["properties"].get("hs_task_body") or "") + note
        _hubspot(soak, "PATCH", f"/crm/v3/objects/tasks/{task_id(task)}", {"hs_task_body": body})
    return f"appended a note to task {task_id(task)}"


def _log_visit(soak: Soak, crm: str, as_of: date) -> str:
    account = soak.rng.choice(_accounts(soak, crm))
    day = as_of - timedelta(days=soak.rng.randint(0, 2))
    if crm == "salesforce":
        record = {"WhatId": account["Id"], "OwnerId": account["OwnerId"], "Type": "Visit",
                  "Subject": "Drop-in", "ActivityDate": day.isoformat(),
                  "StartDateTime": f"{day}T15:00:00.000+0000"}  # fmt: skip
        log_salesforce_visit(soak.running, record)
        return f"logged a visit on {account['Id']} dated {day}"
    start = f"{day}T15:00:00.000Z"
    properties = {"hs_meeting_title": "Drop-in", "hs_meeting_start_time": start, "hs_timestamp": start,
                  "hs_meeting_outcome": "COMPLETED",
                  "hubspot_owner_id": account["properties"].get("hubspot_owner_id")}  # fmt: skip
    log_hubspot_meeting(soak.running, account["id"], properties)
    return f"logged a visit on {account['id']} dated {day}"


def _delete_visit(soak: Soak, crm: str, as_of: date) -> str | None:
    visits = _visits(soak, crm)
    if not visits:
        return None
    visit = soak.rng.choice(visits)
    if crm == "salesforce":
        _salesforce(soak).Event.delete(visit)
    else:
        _hubspot(soak, "DELETE", f"/crm/v3/objects/meetings/{visit}")
    return f"deleted visit {visit}"


def _junk(soak: Soak, night: int, as_of: date) -> None:
    """Plant tonight's junk (an admin's import straight into the store), or fix what was planted two
    nights ago through the API."""
    junk_nights = soak.schedule.junk_nights
    planted = junk_nights.get(night)
    if planted:
        soak.junk = _plant(soak, planted)
        soak.log.append(f"  junk planted: {planted} {soak.junk}")
    elif night - 2 in junk_nights:
        _fix(soak, junk_nights[night - 2], as_of)
        soak.log.append(f"  junk fixed: {junk_nights[night - 2]}")


def _plant(soak: Soak, kind: str) -> dict[str, str]:
    store = soak.running.store
    with store.lock:
        junk = _plant_dates(soak) if kind == "dates" else _plant_account(soak, future=kind == "future")
    store.mark_dirty()
    return junk


def _plant_dates(soak: Soak) -> dict[str, str]:
    """A visit dated `not a date` (Salesforce) and `2026-02-30` (HubSpot)."""
    store, rng = soak.running.store, soak.rng
    sf_stamp, hs_stamp = salesforce_timestamp(store.now()), hubspot_timestamp(store.now())
    event = store.salesforce["Event"][rng.choice(_visits(soak, "salesforce"))]
    meeting = store.hubspot["meetings"][rng.choice(_visits(soak, "hubspot"))]
    store.salesforce["Event"][event["Id"]] = {
        **event, "ActivityDate": "not a date", "StartDateTime": None, "SystemModstamp": sf_stamp,
    }  # fmt: skip
    properties = {**meeting["properties"], "hs_timestamp": "2026-02-30",
                  "hs_meeting_start_time": "2026-02-30", "hs_lastmodifieddate": hs_stamp}  # fmt: skip
    store.hubspot["meetings"][meeting["id"]] = {**meeting, "properties": properties, "updatedAt": hs_stamp}
    return {"salesforce": event["Id"], "hubspot": meeting["id"]}


def _plant_account(soak: Soak, future: bool) -> dict[str, str]:
    """An account stamped in 2099, or with a visit cadence of 1e12 days."""
    store, rng = soak.running.store, soak.rng
    sf_stamp, hs_stamp = salesforce_timestamp(store.now()), hubspot_timestamp(store.now())
    account = rng.choice(_accounts(soak, "salesforce"))
    company = rng.choice(_accounts(soak, "hubspot"))
    store.salesforce["Account"][account["Id"]] = {
        **account, "SystemModstamp": SF_2099 if future else sf_stamp,
        **({} if future else {"Visit_Cadence_Days__c": 1e12}),
    }  # fmt: skip
    properties = {**company["properties"], "hs_lastmodifieddate": HS_2099 if future else hs_stamp,
                  **({} if future else {"visit_cadence_days": "1e12"})}  # fmt: skip
    store.hubspot["companies"][company["id"]] = {**company, "properties": properties}
    return {"salesforce": account["Id"], "hubspot": company["id"]}


def _fix(soak: Soak, kind: str, as_of: date) -> None:
    sf_id, hs_id = soak.junk["salesforce"], soak.junk["hubspot"]
    if kind == "dates":
        day = as_of - timedelta(days=200)  # older than any cadence: the account's story is unchanged
        _salesforce(soak).Event.update(
            sf_id, {"ActivityDate": day.isoformat(), "StartDateTime": f"{day}T15:00:00.000+0000"}
        )
        stamp = f"{day}T15:00:00.000Z"
        _hubspot(soak, "PATCH", f"/crm/v3/objects/meetings/{hs_id}",
                 {"hs_timestamp": stamp, "hs_meeting_start_time": stamp})  # fmt: skip
    elif kind == "cadence":
        _salesforce(soak).Account.update(sf_id, {"Visit_Cadence_Days__c": None})
        _hubspot(soak, "PATCH", f"/crm/v3/objects/companies/{hs_id}", {"visit_cadence_days": ""})
    else:  # a 2099 modstamp is fixed by any edit (the name written again): the CRM stamps it now
        names = {crm: {a.get("Id") or a["id"]: a for a in _accounts(soak, crm)} for crm in CRMS}
        _salesforce(soak).Account.update(sf_id, {"Name": names["salesforce"][sf_id]["Name"]})
        name = names["hubspot"][hs_id]["properties"]["name"]
        _hubspot(soak, "PATCH", f"/crm/v3/objects/companies/{hs_id}", {"name": name})


def _accounts(soak: Soak, crm: str) -> list[dict[str, Any]]:
    store = soak.running.store
    with store.lock:
        if crm == "salesforce":
            return [dict(a) for _, a in sorted(store.salesforce["Account"].items()) if not a.get("IsDeleted")]
        return [dict(c) for _, c in sorted(store.hubspot["companies"].items()) if not c.get("archived")]


def _visits(soak: Soak, crm: str) -> list[str]:
    """Ids of live visits dated in the last 60 days (the ones that move an account's cadence), but
    not the junk planted: the admin fixes it."""
    return [v for v in _recent_visits(soak, crm) if v not in soak.junk.values()]


def _recent_visits(soak: Soak, crm: str) -> list[str]:
    store = soak.running.store
    since = (store.now() - timedelta(days=60)).date().isoformat()
    with store.lock:
        if crm == "salesforce":
            events = store.salesforce["Event"].values()
            return sorted(e["Id"] for e in events if e.get("Type") == "Visit" and not e.get("IsDeleted")
                          and not e.get("IsArchived") and str(e.get("ActivityDate")) >= since)  # fmt: skip
        meetings = store.hubspot["meetings"].values()
        return sorted(m["id"] for m in meetings if not m.get("archived")
                      and str(m["properties"].get("hs_timestamp")) >= since)  # fmt: skip


def _salesforce(soak: Soak) -> Any:
    return connect(salesforce_config(soak.running), RetryPolicy(base_seconds=FAST)).sf


def _hubspot(soak: Soak, method: str, path: str, properties: dict[str, Any] | None = None) -> None:
    client = HubSpotClient(hubspot_config(soak.running), FAST)
    try:
        client.request(method, path, json=None if properties is None else {"properties": properties})
    finally:
        client.close()


# ---- the end state ----------------------------------------------------------------------------
def _assert_one_open_task_per_overdue_account(soak: Soak, as_of: date) -> None:
    with duckdb.connect(str(soak.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.overdue_visit_tasks").fetchone() == (0,)
        assert con.execute("select count(*) from intermediate.int_rejected_records").fetchone() == (0,)
        # Overdue, no planned visit within the grace, an owner who can act (issue 18 item 7: no fallback
        # owner is configured, so an account whose owner cannot act gets no task).
        rows = con.execute(
            """
            select crm, crm_account_id, cadence_days, last_visit_date from marts.account_cadence
            where is_overdue and owner_is_active and coalesce(next_planned_visit_date > ?::date + ?, true)
            """,
            [as_of, Rules().planned_visit_grace_days],
        ).fetchall()
    for crm in CRMS:
        overdue = {
            account
            for row_crm, account, cadence_days, last_visit in rows
            if row_crm == crm and not _still_dismissed(soak, crm, account, cadence_days, last_visit, as_of)
        }
        per_account = open_pipeline_tasks_per_account(soak.running, crm)
        assert overdue, f"{crm}: no overdue account at the end, the soak proves nothing"
        twice = [a for a, n in per_account.items() if n > 1]
        missing, extra = sorted(overdue - set(per_account)), sorted(set(per_account) - overdue)
        assert per_account == Counter(dict.fromkeys(overdue, 1)), (
            f"{crm} (seed {SEED}): two open tasks on {twice}, missing on {missing}, not overdue {extra}"
        )
        soak.log.append(f"end {crm}: {len(overdue)} overdue accounts, one open pipeline task each")
    assert all(account_of(crm, t) for crm in CRMS for t in pipeline_tasks(soak.running, crm))


def _still_dismissed(
    soak: Soak, crm: str, account: str, cadence_days: int, last_visit: date | None, as_of: date
) -> bool:
    """A rep completed the pipeline's task with no visit since: no new nag until completion + cadence
    days (docs/date-guards.md, "Task keys")."""
    completed = soak.dismissed.get((crm, account))
    if completed is None or (last_visit is not None and last_visit >= completed):
        return False
    return as_of <= completed + timedelta(days=cadence_days)


def _assert_marts_equal_a_clean_rebuild(soak: Soak, clean: Path, as_of: date) -> None:
    rebuild = run_audit(soak.running, clean, as_of, dry_run=True, max_tasks_per_run=5000)
    assert rebuild.summary.succeeded, rebuild.summary.error
    soak.log.append(f"clean rebuild {rebuild.seconds:5.1f} s")
    nightly, fresh = _marts(soak.warehouse), _marts(clean)
    assert nightly.keys() == fresh.keys()
    for table in sorted(nightly):
        assert nightly[table] == fresh[table], f"marts.{table} differs from a clean rebuild (seed {SEED})"


def _marts(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema = 'marts' group by 1"
        ).fetchall()
        tables = {}
        for table, names in columns:
            kept = ", ".join(f'"{n}"' for n in names if n not in RUN_TIME_COLUMNS)
            tables[table] = sorted(con.execute(f'select {kept} from marts."{table}"').fetchall(), key=repr)
        return tables
