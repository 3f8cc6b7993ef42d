"""A rep's edit never turns the pipeline's task into "a person's": without the key field/property the
key rides in the task text, and a rep may add a note below it or rewrite the text. The task is still
recognised (by the key line anywhere, or by the ledger's record of its CRM id): no second open task is
created, and the visit closes it. Both CRMs, the hand-made org (no key field), real clients over HTTP(S).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag
from tests.orchestration.harness import (
    FAST,
    HS_CREATES,
    HS_UPDATES,
    SF_WRITES,
    account_of,
    is_open,
    log_hubspot_meeting,
    log_salesforce_visit,
    pipeline_tasks,
    run_audit,
    task_id,
    tasks_of,
)
from tests.orchestration.org import AS_OF, hand_made_org, hs_company_id, hs_meeting_properties, sf_visit_event

NOTE_BELOW, REWRITTEN = 1, 2  # the accounts whose pipeline task a rep edits after night 1
CRMS = ("salesforce", "hubspot")


def _account(crm: str, n: int) -> str:
    return sf_visit_event(None, n, "2026-01-01")["WhatId"] if crm == "salesforce" else hs_company_id(n)


def _our_task(running: RunningSandbox, crm: str, n: int) -> tuple[str, str]:
    (task,) = [t for t in pipeline_tasks(running, crm) if account_of(crm, t) == _account(crm, n)]
    text = task["Description"] if crm == "salesforce" else task["properties"]["hs_task_body"]
    return task_id(task), text


def _edit_text(running: RunningSandbox, crm: str, task: str, text: str) -> None:
    if crm == "salesforce":
        client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
        client.call(lambda sf: sf.Task.update(task, {"Description": text}))
        return
    client = HubSpotClient(hubspot_config(running), FAST)
    try:
        client.request("PATCH", f"/crm/v3/objects/tasks/{task}", json={"properties": {"hs_task_body": text}})
    finally:
        client.close()


def _open_tasks_per_account(running: RunningSandbox, crm: str) -> Counter[str]:
    return Counter(account_of(crm, t) for t in tasks_of(running, crm) if is_open(crm, t))


def test_a_note_below_the_key_or_a_rewritten_text_keeps_the_task_the_pipelines(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(hand_made_org())
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_audit(running, warehouse, AS_OF)
    assert first.summary.succeeded, first.summary.error
    edited: dict[tuple[str, int], str] = {}
    for crm in CRMS:
        task, text = _our_task(running, crm, NOTE_BELOW)
        _edit_text(running, crm, task, text + "\nDana: called, visiting next Tuesday.")
        edited[crm, NOTE_BELOW] = task
        task, _ = _our_task(running, crm, REWRITTEN)
        _edit_text(running, crm, task, "Sam: bring the new brochures and ask for the case manager.")
        edited[crm, REWRITTEN] = task
    open_before = {crm: _open_tasks_per_account(running, crm) for crm in CRMS}
    after_search_lag(running)  # the next night starts after HubSpot's search index has the edits

    second = run_audit(running, warehouse, AS_OF)
    assert second.summary.succeeded, second.summary.error
    assert second.writes() == {SF_WRITES: 0, HS_CREATES: 0, HS_UPDATES: 0}  # no second task for anyone
    assert {crm: _open_tasks_per_account(running, crm) for crm in CRMS} == open_before

    for n in (NOTE_BELOW, REWRITTEN):
        log_salesforce_visit(running, sf_visit_event(None, n, AS_OF.isoformat()))
        log_hubspot_meeting(running, hs_company_id(n), hs_meeting_properties(AS_OF.isoformat()))
    after_search_lag(running)
    third = run_audit(running, warehouse, AS_OF)
    assert third.summary.succeeded, third.summary.error
    for crm in CRMS:
        wb = third.summary.writeback[crm]
        assert (wb["created"], wb["closed"], wb["failed"]) == (0, 2, 0)
        by_id = {task_id(t): t for t in tasks_of(running, crm)}
        assert [is_open(crm, by_id[edited[crm, n]]) for n in (NOTE_BELOW, REWRITTEN)] == [False, False]
