"""The nightly job end to end on a hand-made two-CRM org (see org.py for the hand-computed outcome).

Real Dagster job in-process, the sandbox CRM over real HTTPS/HTTP, the real clients, a real DuckDB file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sandbox import RunningSandbox
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag
from tests.orchestration.harness import (
    HS_CREATES,
    HS_UPDATES,
    SF_WRITES,
    Record,
    assert_one_line_failure,
    changed,
    is_open,
    ledger_outcomes,
    log_hubspot_meeting,
    log_salesforce_visit,
    pipeline_tasks,
    run_audit,
    task_id,
    task_key,
    tasks_bytes,
)
from tests.orchestration.org import (
    ACCOUNTS,
    AS_OF,
    EXPECTED_TASKS,
    HS_OWNERS,
    SF_USERS,
    VISITED_ON_AS_OF,
    ExpectedTask,
    hand_made_org,
    hs_company_id,
    hs_meeting_properties,
    sf_account_id,
    sf_visit_event,
)

CRMS = ("salesforce", "hubspot")
NO_WRITES = {SF_WRITES: 0, HS_CREATES: 0, HS_UPDATES: 0}
NAMES = {a.n: a.name for a in ACCOUNTS}
TaskView = tuple[str, str, str, str, str, str, str]  # account, owner, subject, due, priority, status, key


@pytest.fixture
def sandbox(start_sandbox: StartSandbox) -> RunningSandbox:
    return start_sandbox(hand_made_org())


def _expected_view(crm: str, task: ExpectedTask, status: str) -> TaskView:
    if crm == "salesforce":
        account, owner, priority = sf_account_id(task.n), SF_USERS[task.owner], task.priority
    else:
        account, owner = hs_company_id(task.n), HS_OWNERS[task.owner]
        priority = {"High": "HIGH", "Normal": "MEDIUM"}[task.priority]
    key = f"{crm}:{account}:{task.next_due}"
    return account, owner, f"Overdue visit: {NAMES[task.n]}", AS_OF.isoformat(), priority, status, key


def _view(crm: str, task: Record) -> TaskView:
    key = task_key(crm, task) or ""
    if crm == "salesforce":
        fields = ("WhatId", "OwnerId", "Subject", "ActivityDate", "Priority", "Status")
        return (*(task[name] for name in fields), key)  # type: ignore[return-value]
    p = task["properties"]
    (company,) = task["associations"]["companies"]
    due = p["hs_timestamp"][:10]  # a timestamp on the as-of date
    return (
        company,
        p["hubspot_owner_id"],
        p["hs_task_subject"],
        due,
        p["hs_task_priority"],
        p["hs_task_status"],
        key,
    )


def _pipeline_views(running: RunningSandbox, crm: str) -> list[TaskView]:
    return sorted(_view(crm, task) for task in pipeline_tasks(running, crm))


def _open_status(crm: str) -> str:
    return "Not Started" if crm == "salesforce" else "NOT_STARTED"


def _closed_status(crm: str) -> str:
    return "Completed" if crm == "salesforce" else "COMPLETED"


def _log_visits_on_as_of(running: RunningSandbox, n: int) -> None:
    log_salesforce_visit(running, sf_visit_event(None, n, AS_OF.isoformat()))
    log_hubspot_meeting(running, hs_company_id(n), hs_meeting_properties(AS_OF.isoformat()))


def test_create_once_then_nothing_then_close_only_the_visited(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    people = tasks_bytes(sandbox, people_only=True)
    assert len(people) == 6

    # Run 1: one open task per overdue account, nothing for planned (<= 14 days), on-track, out of scope.
    first = run_audit(sandbox, warehouse, AS_OF)
    assert first.summary.succeeded, first.summary.error
    assert first.writes() == {SF_WRITES: 1, HS_CREATES: 1, HS_UPDATES: 0}
    for crm in CRMS:
        expected = sorted(_expected_view(crm, task, _open_status(crm)) for task in EXPECTED_TASKS)
        assert _pipeline_views(sandbox, crm) == expected
        wb = first.summary.writeback[crm]
        assert (wb["created"], wb["closed"], wb["failed"], wb["write_calls"]) == (5, 0, 0, 1)
        assert ledger_outcomes(warehouse, crm) == {"pending": 5, "created": 5}
    assert first.summary.overdue_accounts == {"salesforce": 6, "hubspot": 6}  # 5 + the planned one
    after_first = tasks_bytes(sandbox)

    # Run 2, nothing changed: no write call at all, every task as it was. (Runs are nights apart: each
    # starts after HubSpot's search index caught up with the last one's writes.)
    after_search_lag(sandbox)
    second = run_audit(sandbox, warehouse, AS_OF)
    assert second.summary.succeeded, second.summary.error
    assert second.writes() == NO_WRITES
    assert tasks_bytes(sandbox) == after_first

    # A rep logs a visit on account 1 today in each CRM; run 3 closes exactly that task.
    _log_visits_on_as_of(sandbox, VISITED_ON_AS_OF)
    after_search_lag(sandbox)
    third = run_audit(sandbox, warehouse, AS_OF)
    assert third.summary.succeeded, third.summary.error
    assert third.writes() == {SF_WRITES: 1, HS_CREATES: 0, HS_UPDATES: 1}
    for crm in CRMS:
        expected = sorted(
            _expected_view(crm, t, _closed_status(crm) if t.n == VISITED_ON_AS_OF else _open_status(crm))
            for t in EXPECTED_TASKS
        )
        assert _pipeline_views(sandbox, crm) == expected
        wb = third.summary.writeback[crm]
        assert (wb["created"], wb["closed"], wb["failed"]) == (0, 1, 0)
    closed = {f"{crm}:{task_id(t)}" for crm in CRMS for t in pipeline_tasks(sandbox, crm)
              if not is_open(crm, t)}  # fmt: skip
    assert len(closed) == 2 and changed(after_first, tasks_bytes(sandbox)) == closed

    # People's tasks, even on overdue accounts and with our subject, are byte-identical after all runs.
    assert tasks_bytes(sandbox, people_only=True) == people
    for run in (first, second, third):
        print(f"run: {run.seconds:.1f} s, write calls {run.writes()}")


@pytest.mark.parametrize("override_quality_gate", [False, True], ids=["gated", "gate-overridden"])
def test_runaway_queue_stops_before_any_write(
    sandbox: RunningSandbox, tmp_path: Path, override_quality_gate: bool
) -> None:
    """5 creates per CRM > max_tasks_per_run=4: the run fails, one line naming the flag, nothing written.

    Gated, the quality gate's queue-size expectation stops it first; overridden, the writeback's own guard.
    """
    before = tasks_bytes(sandbox)
    guarded = run_audit(
        sandbox, tmp_path / "warehouse.duckdb", AS_OF, max_tasks_per_run=4,
        override_quality_gate=override_quality_gate,
    )  # fmt: skip
    assert guarded.writes() == NO_WRITES
    assert tasks_bytes(sandbox) == before
    print(f"runaway guard: {guarded.seconds:.1f} s, error: {guarded.summary.error!r}")
    assert_one_line_failure(guarded, "max_tasks_per_run=4", "--max-tasks-per-run")


def test_unconfigured_crm_is_skipped_and_dry_run_writes_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    before = tasks_bytes(sandbox)
    run = run_audit(sandbox, warehouse, AS_OF, crms=("salesforce",), dry_run=True)
    assert run.summary.succeeded, run.summary.error
    assert run.summary.writeback["hubspot"] == {"skipped": "CRM not audited"}
    assert run.calls["hubspot.total"] == 0
    assert run.summary.rows_synced["salesforce"] == 22 and run.summary.rows_synced.get("hubspot", 0) == 0
    wb = run.summary.writeback["salesforce"]
    assert (wb["dry_run"], wb["planned_creates"], wb["created"], wb["write_calls"]) == (True, 5, 0, 0)
    assert run.writes() == NO_WRITES
    assert tasks_bytes(sandbox) == before
    assert ledger_outcomes(warehouse, "salesforce") == {"dry_run": 5}
    assert ledger_outcomes(warehouse, "hubspot") == {}
    print(f"dry run, salesforce only: {run.seconds:.1f} s")
