"""Date guards (issue 18 item 6) on the realistic sandbox, both CRMs, real HTTP (docs/date-guards.md).

The issue's reproductions: an as-of 6 months ahead took the queue from a handful to hundreds (now
blocked by the queue-ratio guard); an as-of 3 days back closed tasks (now refused without
--allow-backdate, and with it closes nothing); a task a rep completed without a visit came back the
next night under the same key (now not before completion + cadence days, then under a new key).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.cli import main
from orchestration.rules import Rules, load_rules
from orchestration.writeback.actions import read_queue
from orchestration.writeback.guards import BackdateError, QueueJumpError, check_queue_ratio, guarded_queue
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag, start_clock_at
from tests.orchestration.harness import (
    FAST,
    WRITE_CALLS,
    Record,
    account_of,
    is_open,
    pipeline_tasks,
    run_audit,
    task_key,
)
from tests.orchestration.org import AS_OF, hand_made_org, hs_company_id, sf_account_id

CRMS = ("salesforce", "hubspot")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def _night(running: RunningSandbox, day: date) -> None:
    """The CRM's clock on the night's day (past the search lag of the writes before it)."""
    start_clock_at(running, _noon(day))


def _open_keys(running: RunningSandbox, crm: str, account: str) -> list[str]:
    tasks = pipeline_tasks(running, crm)
    return sorted(str(task_key(crm, t)) for t in tasks if account_of(crm, t) == account and is_open(crm, t))


def _account(crm: str, n: int) -> str:
    return sf_account_id(n) if crm == "salesforce" else hs_company_id(n)


# ---- the queue-ratio guard, unit tests ------------------------------------------------------------
def test_the_ratio_guard_blocks_a_jump_over_both_thresholds_only() -> None:
    rules = Rules()  # 3 x the median, and more than 50
    check_queue_ratio("salesforce", 194, [], rules)  # the first night: no history, not guarded
    check_queue_ratio("salesforce", 50, [0, 0, 0], rules)  # not more than 50
    check_queue_ratio("salesforce", 300, [250, 120, 90], rules)  # 300 <= 3 x 120
    with pytest.raises(QueueJumpError) as caught:
        check_queue_ratio("hubspot", 194, [250, 4, 2], rules)
    message = str(caught.value)
    assert "194 task creates" in message and "median 4" in message and "--allow-queue-jump" in message
    assert "\n" not in message


# ---- as-of 3 days back ----------------------------------------------------------------------------
BACKDATED = AS_OF - timedelta(days=3)  # 2026-11-24
OVERDUE_LATELY = 4  # its visit moved to 2026-10-26: due 11-25, overdue on AS_OF, not yet on BACKDATED


def _recently_due_org() -> dict[str, Any]:
    """The hand-made org with account 4 visited 2026-10-26 (in both CRMs): due 2026-11-25."""
    document = hand_made_org()
    for event in document["salesforce"]["Event"]:
        if event["WhatId"] == sf_account_id(OVERDUE_LATELY):
            event.update(ActivityDate="2026-10-26", StartDateTime="2026-10-26T15:00:00.000+0000")
    for meeting in document["hubspot"]["meetings"]:
        if meeting["associations"]["companies"] == [hs_company_id(OVERDUE_LATELY)]:
            start = "2026-10-26T15:00:00.000Z"
            meeting["properties"].update(hs_meeting_start_time=start, hs_timestamp=start)
    return document


def test_a_backdated_as_of_is_refused_and_with_the_flag_writes_no_task(
    start_sandbox: StartSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    running = start_sandbox(_recently_due_org())
    warehouse = tmp_path / "warehouse.duckdb"
    _night(running, AS_OF)
    first = run_audit(running, warehouse, AS_OF)
    assert first.summary.succeeded, first.summary.error
    recent = {crm: f"{crm}:{_account(crm, OVERDUE_LATELY)}:2026-11-25" for crm in CRMS}
    for crm in CRMS:
        assert first.summary.writeback[crm]["created"] == 6  # accounts 1, 2, 4, 6, 7, 8
        assert _open_keys(running, crm, _account(crm, OVERDUE_LATELY)) == [recent[crm]]

    after_search_lag(running)
    with pytest.raises(BackdateError) as caught:  # before any work: no CRM call at all
        run_audit(running, warehouse, BACKDATED)
    message = str(caught.value)
    assert "\n" not in message and "--allow-backdate" in message and "as of 2026-11-27" in message

    # `cadence run`: the same line, exit code 2, before the job starts.
    hubspot = hubspot_config(running)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", hubspot.access_token)
    monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", hubspot.base_url)
    assert main(["run", "--as-of", BACKDATED.isoformat(), "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --as-of 2026-11-24 is before the last successful run") and "\n" not in err
    assert "hubspot's last run was as of 2026-11-27" in err

    # Allowed: as of 11-24 account 4 is not overdue (its task would close) and account 3's planned
    # visit (12-11) is past the grace (its task would be created): neither is written.
    allowed = run_audit(running, warehouse, BACKDATED, allow_backdate=True)
    assert allowed.summary.succeeded, allowed.summary.error
    assert allowed.writes() == dict.fromkeys(WRITE_CALLS, 0)
    for crm in CRMS:
        wb = allowed.summary.writeback[crm]
        assert (wb["created"], wb["closed"], wb["planned_creates"], wb["planned_closes"]) == (0, 0, 0, 0)
        assert wb["backdated"] is True
        assert f"{crm}: the as-of is before the last successful run's" in allowed.summary.render()
        assert _open_keys(running, crm, _account(crm, OVERDUE_LATELY)) == [recent[crm]]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        queue = con.execute(
            "select crm, action, crm_account_id from marts.overdue_visit_tasks order by all"
        ).fetchall()
    assert queue == sorted(
        [(crm, "create", _account(crm, 3)) for crm in CRMS]
        + [(crm, "close", _account(crm, OVERDUE_LATELY)) for crm in CRMS]
    )  # what an unguarded backdated run would have done: the "closed ... and created ..."


# ---- a task completed without a visit -------------------------------------------------------------
DISMISSED = 2  # account 2, due 2026-10-01: its rep completes the task on AS_OF without visiting


def _complete(running: RunningSandbox, crm: str, task: Record) -> None:
    if crm == "salesforce":
        client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
        client.call(lambda sf: sf.Task.update(task["Id"], {"Status": "Completed"}))
        return
    client = HubSpotClient(hubspot_config(running), FAST)
    try:
        body = {"properties": {"hs_task_status": "COMPLETED"}}
        client.request("PATCH", f"/crm/v3/objects/tasks/{task['id']}", json=body)
    finally:
        client.close()


def test_a_task_completed_without_a_visit_comes_back_only_after_the_cadence_period(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(hand_made_org())
    warehouse = tmp_path / "warehouse.duckdb"
    _night(running, AS_OF)
    assert run_audit(running, warehouse, AS_OF).summary.succeeded
    for crm in CRMS:
        (task,) = [t for t in pipeline_tasks(running, crm) if account_of(crm, t) == _account(crm, DISMISSED)]
        assert task_key(crm, task) == f"{crm}:{_account(crm, DISMISSED)}:2026-10-01"
        _complete(running, crm, task)  # on AS_OF, by the rep; no visit is logged

    next_night = AS_OF + timedelta(days=1)
    _night(running, next_night)
    run = run_audit(running, warehouse, next_night)
    assert run.summary.succeeded, run.summary.error
    for crm in CRMS:
        assert _open_keys(running, crm, _account(crm, DISMISSED)) == []  # not re-created
        assert run.summary.writeback[crm]["created"] == 0

    # Completed on AS_OF (2026-11-27) + 30 cadence days = 2026-12-27: nagged again the day after.
    renewed = AS_OF + timedelta(days=31)
    _night(running, renewed)
    run = run_audit(running, warehouse, renewed)
    assert run.summary.succeeded, run.summary.error
    for crm in CRMS:
        assert _open_keys(running, crm, _account(crm, DISMISSED)) == [
            f"{crm}:{_account(crm, DISMISSED)}:2026-12-27"
        ]
        keys = [task_key(crm, t) for t in pipeline_tasks(running, crm)]
        assert len(keys) == len(set(keys))  # no key was used twice


# ---- as-of 6 months ahead -------------------------------------------------------------------------
SIX_MONTHS_AHEAD = date(2027, 5, 27)  # every account of the hand-made org is overdue by then


def test_an_as_of_six_months_ahead_is_stopped_by_the_queue_ratio_guard(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """The hand-made org is small, so the rules file scales the guard to it: more than 1 create and
    3 x the last night's (the defaults, 50 and the median of 7 nights, are for real orgs)."""
    rules_file = tmp_path / "cadence.yml"
    rules_file.write_text("queue_ratio_min_creates: 1\nqueue_ratio_nights: 1\n", encoding="utf-8")
    running = start_sandbox(hand_made_org())
    warehouse = tmp_path / "warehouse.duckdb"
    _night(running, AS_OF)
    first = run_audit(running, warehouse, AS_OF, rules_file=str(rules_file))  # the first night: unguarded
    assert first.summary.succeeded, first.summary.error
    after_search_lag(running)
    quiet = run_audit(running, warehouse, AS_OF, rules_file=str(rules_file))
    assert quiet.summary.succeeded, quiet.summary.error
    assert all(quiet.summary.writeback[crm]["created"] == 0 for crm in CRMS)

    _night(running, SIX_MONTHS_AHEAD)
    jump = run_audit(running, warehouse, SIX_MONTHS_AHEAD, rules_file=str(rules_file))
    assert not jump.summary.succeeded
    assert jump.writes() == dict.fromkeys(WRITE_CALLS, 0)  # stopped before any write, both CRMs
    assert not set(jump.summary.writeback) & set(CRMS)  # neither CRM's writeback step succeeded
    error = jump.summary.error or ""  # the first failed step's line
    assert "\n" not in error and "writeback stopped before any write: 2 task creates" in error, error
    assert "more than queue_ratio_max=3 x the median 0 of the last 1 nights' creates" in error
    assert "--allow-queue-jump" in error
    assert jump.summary.overdue_accounts == {"salesforce": 7, "hubspot": 7}  # all in scope: 1-4, 6-8

    # --allow-queue-jump: the same queue goes through (accounts 3 and 4; the others have their task).
    rules = load_rules(rules_file)
    for crm in CRMS:
        queue = read_queue(warehouse, crm)
        with pytest.raises(QueueJumpError):
            guarded_queue(warehouse, crm, queue, SIX_MONTHS_AHEAD, rules)
        allowed, backdated = guarded_queue(
            warehouse, crm, queue, SIX_MONTHS_AHEAD, rules, allow_queue_jump=True
        )
        accounts = sorted(a.crm_account_id for a in allowed if a.action == "create")
        assert (accounts, backdated) == (sorted(_account(crm, n) for n in (3, 4)), False)
