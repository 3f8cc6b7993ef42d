"""The API budget governor end to end: a nightly run that would cut into the org's reserve stops cleanly.

The sandbox reports Salesforce's daily allowance in `Sforce-Limit-Info: api-usage=used/15000`; its
control surface (`/__sandbox/salesforce/api_budget`) sets `used`, making the allowance left small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ingest.sandbox import RunningSandbox
from tests.conftest import StartSandbox
from tests.orchestration.harness import (
    SF_WRITES,
    assert_one_line_failure,
    pipeline_tasks,
    run_audit,
    task_key,
)
from tests.orchestration.org import AS_OF, hand_made_org

DAILY_LIMIT = 15_000  # what the sandbox reports as the org's allowance


def _spend_allowance_to(running: RunningSandbox, left: int) -> None:
    body = {"daily_api_requests": DAILY_LIMIT, "used": DAILY_LIMIT - left}
    running.control("POST", "/__sandbox/salesforce/api_budget", body)


def _warehouse_rows(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw_salesforce', 'marts') and table_name not like '_dlt%' order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": sorted(con.execute(f'select * from {s}."{t}"').fetchall(), key=repr)
            for s, t in tables
        }


def _tasks(running: RunningSandbox) -> list[tuple[str, str, str]]:
    return sorted(
        (t["WhatId"], t["Subject"], str(task_key("salesforce", t)))
        for t in pipeline_tasks(running, "salesforce")
    )


def test_a_run_that_would_cross_the_reserve_stops_before_writing_and_the_next_resumes(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    reference = start_sandbox(hand_made_org(), name="reference.json")
    uninterrupted = run_audit(reference, tmp_path / "reference.duckdb", AS_OF, crms=["salesforce"])
    assert uninterrupted.summary.succeeded, uninterrupted.summary.error

    running = start_sandbox(hand_made_org())
    warehouse = tmp_path / "warehouse.duckdb"
    # 10 calls left (the token answer reports them; a login is not an API call): 80% of them is 8,
    # fewer than the full sync's 12 API calls.
    _spend_allowance_to(running, 10)
    stopped = run_audit(running, warehouse, AS_OF, crms=["salesforce"])

    assert_one_line_failure(
        stopped, "cadence.api_budget_reserve", "more than 80% of the 10 API calls left today"
    )
    assert stopped.calls["salesforce.total"] == 9  # the login and 8 API calls: it stopped before the ninth
    assert stopped.calls[SF_WRITES] == 0
    assert _warehouse_rows(warehouse).get("raw_salesforce.account", []) == []
    assert _tasks(running) == []

    _spend_allowance_to(running, DAILY_LIMIT)  # a new day: the allowance is back
    resumed = run_audit(running, warehouse, AS_OF, crms=["salesforce"])

    assert resumed.summary.succeeded, resumed.summary.error
    assert _warehouse_rows(warehouse) == _warehouse_rows(tmp_path / "reference.duckdb")
    assert _tasks(running) == _tasks(reference) and _tasks(running)


def test_a_run_within_the_reserve_is_not_stopped(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    running = start_sandbox(hand_made_org())
    _spend_allowance_to(running, 100)  # the sync (13) and writeback fit in 80% of 100

    run = run_audit(running, tmp_path / "warehouse.duckdb", AS_OF, crms=["salesforce"])

    assert run.summary.succeeded, run.summary.error
