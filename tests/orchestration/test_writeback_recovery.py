"""A writeback that dies after its first batch, then a failing record, then a clean rerun (generated org).

Three full runs on one warehouse:
  A. 503 on every task-write call after the first: batch 1 lands (200 Salesforce / 100 HubSpot tasks),
     batch 2 is ledgered `pending` and never applied, the run fails with a one-line error.
  B. faults cleared, one record of the first batch rejected: the unsettled creates are reconciled (not in
     the CRM), every other overdue account gets its task, failed=1, no account gets a second task.
  C. exactly the rejected task is created: 1 record in 1 call per CRM, nothing rewritten.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.sandbox import Fault, RunningSandbox
from ingest.sandbox.generator import generate_org
from tests.conftest import StartSandbox
from tests.orchestration.harness import (
    HS_CREATES,
    HS_UPDATES,
    SF_WRITES,
    assert_one_line_failure,
    changed,
    ledger_outcomes,
    open_pipeline_tasks_per_account,
    overdue_without_planned_visit,
    pipeline_tasks,
    run_audit,
    tasks_bytes,
)

AS_OF = date(2026, 11, 27)
CRMS = ("salesforce", "hubspot")
BATCH = {"salesforce": 200, "hubspot": 100}
CREATE_CALLS = {"salesforce": SF_WRITES, "hubspot": HS_CREATES}
MAX_TASKS = 5000


@pytest.fixture
def generated(start_sandbox: StartSandbox) -> RunningSandbox:
    # No junk: an ownerless account would stop the run at the quality gate, which is not under test here.
    return start_sandbox(generate_org(accounts=1200, seed=11, anchor_date=AS_OF, junk=False))


def _failed_creates(warehouse: Path, crm: str) -> dict[str, list[str]]:
    """Ledger `failed` rows by why: never sent before the crash (reconciled as absent), or rejected."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select task_key, error from cadence_ops.writeback_ledger where crm = ? and outcome = 'failed'",
            [crm],
        ).fetchall()
    failed: dict[str, list[str]] = {"absent": [], "rejected": []}
    for key, error in rows:
        failed["absent" if error.startswith("not found in the CRM") else "rejected"].append(key)
    return failed


def _one_open_task_each(running: RunningSandbox, crm: str) -> set[str]:
    per_account = open_pipeline_tasks_per_account(running, crm)
    assert set(per_account.values()) == {1}, "an account has two open pipeline tasks"
    return set(per_account)


def test_crash_after_first_batch_then_failing_record_then_rerun(
    generated: RunningSandbox, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    people = tasks_bytes(generated, people_only=True)

    # A: every task-write call after the first answers 503 (retried, then given up).
    for endpoint in CREATE_CALLS.values():
        generated.sandbox.faults.add(Fault(kind="status_503", endpoint=endpoint, after=1, times=1000))
    crashed = run_audit(generated, warehouse, AS_OF, max_tasks_per_run=MAX_TASKS)
    assert_one_line_failure(crashed)
    due = {crm: overdue_without_planned_visit(warehouse, crm, AS_OF) for crm in CRMS}
    n = {crm: len(due[crm]) for crm in CRMS}
    assert n["salesforce"] > 200 and n["hubspot"] > 200, n  # at least two batches in each CRM
    for crm in CRMS:
        assert len(pipeline_tasks(generated, crm)) == BATCH[crm]  # batch 1 only
        second_batch = min(BATCH[crm], n[crm] - BATCH[crm])
        assert ledger_outcomes(warehouse, crm) == {
            "pending": BATCH[crm] + second_batch,
            "created": BATCH[crm],
        }

    # B: faults cleared; the first record of the rerun's first batch is rejected by the CRM.
    generated.sandbox.faults.clear()
    for endpoint in CREATE_CALLS.values():
        generated.sandbox.faults.add(Fault(kind="fail_record", endpoint=endpoint, record=3))
    recovered = run_audit(generated, warehouse, AS_OF, max_tasks_per_run=MAX_TASKS)
    assert recovered.summary.succeeded, recovered.summary.error
    rejected: dict[str, set[str]] = {}
    for crm in CRMS:
        remaining = n[crm] - BATCH[crm]
        wb = recovered.summary.writeback[crm]
        assert (wb["created"], wb["failed"], wb["reconciled"]) == (remaining - 1, 1, 0)
        assert recovered.calls[CREATE_CALLS[crm]] == math.ceil(remaining / BATCH[crm]) == wb["write_calls"]
        rejected[crm] = due[crm] - _one_open_task_each(generated, crm)
        assert len(rejected[crm]) == 1 and len(pipeline_tasks(generated, crm)) == n[crm] - 1
        failed = _failed_creates(warehouse, crm)
        assert len(failed["absent"]) == min(BATCH[crm], remaining)  # batch 2 of the crash, reconciled
        assert [key.split(":")[1] for key in failed["rejected"]] == list(rejected[crm])
    assert recovered.calls[HS_UPDATES] == 0
    after_recovery = tasks_bytes(generated)

    # C: the rejected task, and nothing else.
    final = run_audit(generated, warehouse, AS_OF, max_tasks_per_run=MAX_TASKS)
    assert final.summary.succeeded, final.summary.error
    assert final.writes() == {SF_WRITES: 1, HS_CREATES: 1, HS_UPDATES: 0}
    new_tasks = changed(after_recovery, tasks_bytes(generated))
    assert len(new_tasks) == 2 and all(name not in after_recovery for name in new_tasks)
    for crm in CRMS:
        assert final.summary.writeback[crm]["created"] == 1
        assert _one_open_task_each(generated, crm) == due[crm]
        assert len(pipeline_tasks(generated, crm)) == n[crm]  # total created over the three runs
    assert tasks_bytes(generated, people_only=True) == people
    print(f"crash error: {crashed.summary.error}")
    for name, run in (("crash", crashed), ("recover", recovered), ("final", final)):
        print(f"{name}: {run.seconds:.1f} s, overdue without plan {n}, write calls {run.writes()}")
