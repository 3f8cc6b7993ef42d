"""A create batch applied but its answer lost, and duplicates an earlier version left: both CRMs end with
exactly one open pipeline task per overdue account (realistic sandbox profile, real clients over HTTP(S),
the real nightly job).

The fault is the sandbox core's `drop_after_apply`, armed over the control surface on the first create
call of each CRM: the call commits its tasks, then the connection closes before any byte of the answer.
- With the key field/property (generated org, `custom_fields`): Salesforce creates by upsert on the
  External ID, so the HTTP layer resends the call and it updates the tasks it made (one composite call
  more, `created: false` for each); HubSpot's batch create is not resent, its keys are looked up.
- Without them: neither CRM's create is resent; the keys are looked up (SOQL on the accounts' tasks,
  HubSpot association + batch reads) and every task is found, so nothing is sent again.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox.hubspot.behaviour import REALISTIC
from ingest.sandbox_settings import hubspot_config, salesforce_config
from tests.conftest import StartSandbox
from tests.orchestration.harness import (
    FAST,
    HS_CREATES,
    HS_UPDATES,
    SF_WRITES,
    Record,
    is_open,
    ledger_outcomes,
    open_pipeline_tasks_per_account,
    overdue_without_planned_visit,
    pipeline_tasks,
    run_audit,
    task_id,
    task_key,
)

AS_OF = date(2026, 11, 27)
CRMS = ("salesforce", "hubspot")
CREATE_CALLS = {"salesforce": SF_WRITES, "hubspot": HS_CREATES}
ACCOUNTS = 220  # per CRM: 50-60 overdue accounts, one create batch in each CRM


def _realistic_org(custom_fields: bool) -> dict[str, Any]:
    # No junk: an ownerless account would stop the run at the quality gate, which is not under test here.
    org = generate_org(accounts=ACCOUNTS, seed=17, anchor_date=AS_OF, custom_fields=custom_fields, junk=False)
    org["salesforce"]["_profile"] = "realistic"
    org["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return org


def _arm_lost_answer(running: RunningSandbox, endpoint: str) -> None:
    """drop_after_apply on the next call of `endpoint`, over the control surface."""
    spec = {"kind": "drop_after_apply", "endpoint": endpoint, "times": 1}
    running.control("POST", "/__sandbox/faults", spec)


def _one_open_task_per_overdue_account(running: RunningSandbox, warehouse: Path) -> dict[str, int]:
    """Assert every overdue account (no planned visit) has exactly one open pipeline task; the counts."""
    counts = {}
    for crm in CRMS:
        due = overdue_without_planned_visit(warehouse, crm, AS_OF)
        per_account = open_pipeline_tasks_per_account(running, crm)
        assert per_account == Counter(dict.fromkeys(due, 1)), crm
        counts[crm] = len(due)
    return counts


@pytest.mark.parametrize("custom_fields", [True, False], ids=["key-field", "no-key-field"])
def test_first_create_batch_applied_but_answer_lost(
    start_sandbox: StartSandbox, tmp_path: Path, custom_fields: bool
) -> None:
    running = start_sandbox(_realistic_org(custom_fields))
    warehouse = tmp_path / "warehouse.duckdb"
    for endpoint in CREATE_CALLS.values():
        _arm_lost_answer(running, endpoint)

    night = run_audit(running, warehouse, AS_OF)

    assert night.summary.succeeded, night.summary.error
    n = _one_open_task_per_overdue_account(running, warehouse)
    assert all(50 <= count <= 200 for count in n.values()), n  # one batch in each CRM, a real one
    upserts = custom_fields  # Salesforce upserts on the External ID: the layer resends, it updates
    assert night.writes() == {SF_WRITES: 2 if upserts else 1, HS_CREATES: 1, HS_UPDATES: 0}
    for crm in CRMS:
        wb = night.summary.writeback[crm]
        # Every task of the lost batch was found (by key, or matched by the upsert): created once each.
        assert (wb["created"], wb["recovered"], wb["failed"], wb["healed"]) == (n[crm], n[crm], 0, 0)
        assert len(pipeline_tasks(running, crm)) == n[crm]
        assert ledger_outcomes(warehouse, crm) == {"pending": n[crm], "created": n[crm]}
        assert f"{crm}: {n[crm]:,} created task(s) whose answer was lost were found" in night.summary.render()

    # The next night is not blocked by the "two open tasks" check and writes nothing.
    next_night = run_audit(running, warehouse, AS_OF)
    assert next_night.summary.succeeded, next_night.summary.error
    assert next_night.writes() == {SF_WRITES: 0, HS_CREATES: 0, HS_UPDATES: 0}
    assert _one_open_task_per_overdue_account(running, warehouse) == n


# ---- duplicates made by an earlier version --------------------------------------------------------
def _copy_salesforce_tasks(running: RunningSandbox, tasks: list[Record]) -> list[str]:
    """What the earlier version's blind resend did: the same create again (Description carries the key)."""
    fields = ("WhatId", "OwnerId", "Subject", "ActivityDate", "Priority", "Status", "Description")
    records = [{"attributes": {"type": "Task"}, **{f: task[f] for f in fields}} for task in tasks]
    client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
    body = {"allOrNone": True, "records": records}
    results = client.call(lambda sf: sf.restful("composite/sobjects", method="POST", json=body))
    return [result["id"] for result in results]


def _copy_hubspot_tasks(running: RunningSandbox, tasks: list[Record]) -> list[str]:
    names = ("hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority", "hs_timestamp",
             "hubspot_owner_id", "cadence_task_key")  # fmt: skip
    inputs = [
        {
            "properties": {k: task["properties"][k] for k in names if task["properties"].get(k)},
            "associations": [
                {
                    "to": {"id": task["associations"]["companies"][0]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}],
                }
            ],
        }
        for task in tasks
    ]
    client = HubSpotClient(hubspot_config(running), FAST)
    try:
        answer = client.request(
            "POST", "/crm/v3/objects/tasks/batch/create", json={"inputs": inputs}, idempotent=False
        )
    finally:
        client.close()
    return [result["id"] for result in answer["results"]]


COPY = {"salesforce": _copy_salesforce_tasks, "hubspot": _copy_hubspot_tasks}


@pytest.mark.parametrize("custom_fields", [True, False], ids=["key-field", "no-key-field"])
def test_duplicate_open_tasks_are_healed_to_the_oldest(
    start_sandbox: StartSandbox, tmp_path: Path, custom_fields: bool
) -> None:
    running = start_sandbox(_realistic_org(custom_fields))
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_audit(running, warehouse, AS_OF)
    assert first.summary.succeeded, first.summary.error
    n = _one_open_task_per_overdue_account(running, warehouse)
    originals = {crm: {task_key(crm, t): task_id(t) for t in pipeline_tasks(running, crm)} for crm in CRMS}

    # An earlier version's resend copied the first 40 tasks of each CRM. A unique External ID cannot
    # hold a key twice, so with the key field only HubSpot (a plain text property) holds duplicates.
    copied_crms = ("hubspot",) if custom_fields else CRMS
    copies = {}
    for crm in copied_crms:
        tasks = sorted(pipeline_tasks(running, crm), key=lambda t: task_key(crm, t) or "")[:40]
        copies[crm] = set(COPY[crm](running, tasks))
        assert max(open_pipeline_tasks_per_account(running, crm).values()) == 2
    time.sleep(REALISTIC.search_lag_seconds + 1)  # the copies reach HubSpot's search index

    healing = run_audit(running, warehouse, AS_OF)

    assert healing.summary.succeeded, healing.summary.error
    assert _one_open_task_per_overdue_account(running, warehouse) == n
    for crm in CRMS:
        wb = healing.summary.writeback[crm]
        healed = len(copies.get(crm, ()))
        assert (wb["created"], wb["closed"], wb["healed"], wb["failed"]) == (0, healed, healed, 0)
        kept = {task_key(crm, t): task_id(t) for t in pipeline_tasks(running, crm) if is_open(crm, t)}
        assert kept == originals[crm]  # the oldest task of each key stays open
        closed = {task_id(t) for t in pipeline_tasks(running, crm) if not is_open(crm, t)}
        assert closed == copies.get(crm, set())
        if healed:
            line = f"{crm}: closed {healed:,} duplicate open pipeline task(s), kept the oldest per key"
            assert line in healing.summary.render()
    assert healing.writes()[HS_UPDATES] == 1 and healing.writes()[SF_WRITES] == (0 if custom_fields else 1)
