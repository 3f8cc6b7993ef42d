"""Running the nightly job against a sandbox and reading what it wrote (shared by the e2e tests)."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from dagster import DagsterInstance

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from ingest.warehouse import WarehouseArg, WarehouseLocation
from ingest.warehouse import connect as connect_warehouse
from orchestration.rules import Rules
from orchestration.runtime import RunOptions, RunSummary, run_nightly_audit
from orchestration.writeback.actions import key_in_text
from tests.helpers import warm_parse_cache

FAST = 0.01  # retry backoff base: fault tests must not sleep
SF_WRITES = "salesforce.composite_sobjects"
HS_CREATES = "hubspot.batch_create.tasks"
HS_UPDATES = "hubspot.batch_update.tasks"
WRITE_CALLS = (SF_WRITES, HS_CREATES, HS_UPDATES)
Record = dict[str, Any]


@dataclass
class Run:
    summary: RunSummary
    seconds: float
    calls: Counter[str]  # sandbox call counters during this run

    def writes(self) -> dict[str, int]:
        return {name: self.calls[name] for name in WRITE_CALLS}


def assert_one_line_failure(run: Run, *fragments: str) -> None:
    """The run failed with one line for a person: no newline, no exception class, these fragments."""
    assert not run.summary.succeeded
    error = run.summary.error or ""
    assert error and "\n" not in error, error
    assert not re.match(r"[\w.]*(Error|Exception):", error), error
    assert all(fragment in error for fragment in fragments), error


def run_audit(
    running: RunningSandbox,
    warehouse: Path | WarehouseLocation,
    as_of: date,
    crms: Iterable[str] = ("salesforce", "hubspot"),
    instance: DagsterInstance | None = None,
    **options: Any,
) -> Run:
    """One in-process run of `nightly_cadence_audit`; unlisted CRMs are not configured. `instance`:
    the Dagster instance that stores the run (None: an ephemeral one)."""
    wanted = set(crms)
    configs = {
        "salesforce": salesforce_config(running) if "salesforce" in wanted else None,
        "hubspot": hubspot_config(running) if "hubspot" in wanted else None,
    }
    warm_parse_cache(warehouse, options.get("rules_file"))  # before the clock: a worker's first parse
    before = Counter(running.counters)
    started = time.perf_counter()
    summary = run_nightly_audit(
        configs,
        RunOptions(warehouse=warehouse, as_of=as_of, retry_base_seconds=FAST, **options),
        instance=instance,
    )
    calls = Counter(running.counters)
    calls.subtract(before)
    return Run(summary, time.perf_counter() - started, +calls)


# ---- tasks in the sandbox -----------------------------------------------------------------------
def task_key(crm: str, task: Record) -> str | None:
    """The pipeline's key on a task, or None for a person's task."""
    if crm == "salesforce":
        return task.get("Cadence_Task_Key__c") or key_in_text(task.get("Description"))
    properties = task["properties"]
    return properties.get("cadence_task_key") or key_in_text(properties.get("hs_task_body"))


def tasks_of(running: RunningSandbox, crm: str) -> list[Record]:
    with running.store.lock:
        records = (
            running.store.salesforce.get("Task", {})
            if crm == "salesforce"
            else (running.store.hubspot.get("tasks", {}))
        )
        return [dict(record) for record in records.values()]


def pipeline_tasks(running: RunningSandbox, crm: str) -> list[Record]:
    return [task for task in tasks_of(running, crm) if task_key(crm, task)]


def is_open(crm: str, task: Record) -> bool:
    if crm == "salesforce":
        return not task["IsClosed"] and not task["IsDeleted"]
    return task["properties"].get("hs_task_status") != "COMPLETED" and not task.get("archived")


def account_of(crm: str, task: Record) -> str:
    return task["WhatId"] if crm == "salesforce" else task["associations"]["companies"][0]


def open_pipeline_tasks_per_account(running: RunningSandbox, crm: str) -> Counter[str]:
    return Counter(account_of(crm, t) for t in pipeline_tasks(running, crm) if is_open(crm, t))


def task_id(task: Record) -> str:
    return task.get("Id") or task["id"]


def tasks_bytes(running: RunningSandbox, people_only: bool = False) -> dict[str, bytes]:
    """Task "crm:id" -> the task serialised; people's tasks (no key) must stay byte-identical."""
    return {
        f"{crm}:{task_id(task)}": orjson.dumps(task, option=orjson.OPT_SORT_KEYS)
        for crm in ("salesforce", "hubspot")
        for task in tasks_of(running, crm)
        if not (people_only and task_key(crm, task))
    }


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    """Ids of tasks added, removed or modified between two `tasks_bytes` snapshots."""
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


# ---- the warehouse ------------------------------------------------------------------------------
def ledger_outcomes(warehouse: WarehouseArg, crm: str) -> Counter[str]:
    """outcome -> count over every ledger row of one CRM (a DuckDB file or a PostgreSQL URL)."""
    with connect_warehouse(warehouse, read_only=True) as con:
        rows = con.execute(
            "select outcome, count(*) from cadence_ops.writeback_ledger where crm = ? group by outcome", [crm]
        ).fetchall()
    return Counter(dict(rows))


def overdue_without_planned_visit(warehouse: WarehouseArg, crm: str, as_of: date) -> set[str]:
    """Accounts that must have exactly one open pipeline task, straight from account_cadence."""
    with connect_warehouse(warehouse, read_only=True) as con:
        rows = con.execute(
            """
            select crm_account_id from marts.account_cadence
            where crm = ? and is_overdue and coalesce(next_planned_visit_date > ?::date + ?, true)
            """,
            [crm, as_of, Rules().planned_visit_grace_days],
        ).fetchall()
    return {row[0] for row in rows}


# ---- a rep logs a visit, through each CRM's API ---------------------------------------------------
def log_salesforce_visit(running: RunningSandbox, record: Record) -> str:
    client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
    return client.call(lambda sf: sf.Event.create(record))["id"]


def log_hubspot_meeting(running: RunningSandbox, company_id: str, properties: Record) -> str:
    association = {
        "to": {"id": company_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 188}],
    }
    body = {"inputs": [{"properties": properties, "associations": [association]}]}
    client = HubSpotClient(hubspot_config(running), FAST)
    try:
        return client.request("POST", "/crm/v3/objects/meetings/batch/create", json=body)["results"][0]["id"]
    finally:
        client.close()


# ---- the writeback step alone --------------------------------------------------------------------
def write_back_only(running: RunningSandbox, warehouse: Path, crm: str, run_id: str = "rerun") -> Any:
    """Rerun only `crm`'s writeback step on the queue the last run built (no sync, no dbt), as a
    re-execution of that Dagster step does; its WritebackSummary."""
    from orchestration.writeback.actions import read_queue
    from orchestration.writeback.hubspot import HubSpotTaskWriter
    from orchestration.writeback.ledger import Ledger
    from orchestration.writeback.run import write_back
    from orchestration.writeback.salesforce import SalesforceTaskWriter

    if crm == "salesforce":
        client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
        writer: Any = SalesforceTaskWriter(client)
    else:
        writer = HubSpotTaskWriter(HubSpotClient(hubspot_config(running), FAST))
    queue = read_queue(warehouse, crm)  # before the ledger's read-write connection, as the step does
    ledger = Ledger.open(warehouse, run_id, crm)
    try:
        return write_back(writer, queue, ledger, max_tasks_per_run=5000)
    finally:
        ledger.close()
