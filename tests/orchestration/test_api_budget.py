"""The API budget governor end to end: a nightly run that would cut into the org's reserve stops cleanly.

The sandbox reports Salesforce's daily allowance in `Sforce-Limit-Info: api-usage=used/15000`; its
control surface (`/__sandbox/salesforce/api_budget`) sets `used`, making the allowance left small.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from ingest.sandbox import RunningSandbox
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag
from tests.orchestration.harness import (
    SF_WRITES,
    account_of,
    assert_one_line_failure,
    is_open,
    pipeline_tasks,
    run_audit,
    task_key,
    tasks_bytes,
)
from tests.orchestration.org import AS_OF, hand_made_org

DAILY_LIMIT = 15_000  # what the sandbox reports as the org's allowance


def _reference(tmp_path: Path) -> Path:
    """The uninterrupted run's warehouse: the interrupted one's file name, so one dbt parse serves both."""
    return tmp_path / "reference" / "warehouse.duckdb"


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
    uninterrupted = run_audit(reference, _reference(tmp_path), AS_OF, crms=["salesforce"])
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
    assert _warehouse_rows(warehouse) == _warehouse_rows(_reference(tmp_path))
    assert _tasks(running) == _tasks(reference) and _tasks(running)


def test_a_run_within_the_reserve_is_not_stopped(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    running = start_sandbox(hand_made_org())
    _spend_allowance_to(running, 100)  # the sync (13) and writeback fit in 80% of 100

    run = run_audit(running, tmp_path / "warehouse.duckdb", AS_OF, crms=["salesforce"])

    assert run.summary.succeeded, run.summary.error


# ---- HubSpot, on a second night: the stop keeps night one's warehouse and cursors ------------------
def _realistic_org() -> dict[str, Any]:
    document = hand_made_org()
    document["salesforce"]["_profile"] = "realistic"
    document["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return document


def _set_daily_limit(running: RunningSandbox, limit: int) -> None:
    """HubSpot's daily allowance, counted afresh (X-HubSpot-RateLimit-Daily-Remaining = limit - calls)."""
    running.control("POST", "/__sandbox/hubspot/behaviour", {"daily_limit": limit})


# The CRM's own stamps of the tasks the pipeline wrote: wall time in each sandbox, so two runs differ.
_WRITE_STAMPS = ("hs_createdate", "hs_lastmodifieddate")


def _all_rows(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw and marts table, rows sorted; the write stamps of our own tasks left out."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, list(column_name order by ordinal_position) "
            "from information_schema.columns where (table_schema like 'raw_%' and table_schema not like "
            "'%_staging' or table_schema = 'marts') and table_name not like '_dlt%' group by 1, 2"
        ).fetchall()
        tables = {}
        for schema, table, names in columns:
            kept = [n for n in names if not (table == "tasks" and n in _WRITE_STAMPS)]
            select = ", ".join(f'"{n}"' for n in kept)
            rows = con.execute(f'select {select} from {schema}."{table}"').fetchall()
            tables[f"{schema}.{table}"] = sorted(rows, key=repr)
        return tables


def test_a_hubspot_night_stopped_by_the_reserve_keeps_the_last_nights_data_and_the_next_resumes(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    nights = (AS_OF, AS_OF + timedelta(days=1))
    reference = start_sandbox(_realistic_org(), name="reference.json")
    for as_of in nights:
        after_search_lag(reference)  # the second night's search sees the first night's tasks
        run = run_audit(reference, _reference(tmp_path), as_of, crms=["hubspot"])
        assert run.summary.succeeded, run.summary.error

    running = start_sandbox(_realistic_org())
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_audit(running, warehouse, nights[0], crms=["hubspot"])
    assert first.summary.succeeded, first.summary.error
    after_first, crm_after_first = _all_rows(warehouse), tasks_bytes(running)

    _set_daily_limit(running, 10)  # 80% of the 10 calls left is fewer than a night's calls
    stopped = run_audit(running, warehouse, nights[1], crms=["hubspot"])
    assert_one_line_failure(stopped, "hubspot:", "cadence.api_budget_reserve", "API calls left today")
    assert stopped.writes() == {name: 0 for name in stopped.writes()}
    assert tasks_bytes(running) == crm_after_first  # the CRM unchanged
    assert _all_rows(warehouse) == after_first  # the warehouse unchanged: raw, marts, cursors' rows

    _set_daily_limit(running, 625_000)  # the allowance is back the next day
    after_search_lag(running)  # as the reference's second night: the first night's tasks searchable
    resumed = run_audit(running, warehouse, nights[1], crms=["hubspot"])
    assert resumed.summary.succeeded, resumed.summary.error
    assert _all_rows(warehouse) == _all_rows(_reference(tmp_path))
    assert _hubspot_tasks(running) == _hubspot_tasks(reference) and _hubspot_tasks(running)


def _hubspot_tasks(running: RunningSandbox) -> list[tuple[str, str, str]]:
    return sorted(
        (account_of("hubspot", t), t["properties"]["hs_task_subject"], str(task_key("hubspot", t)))
        for t in pipeline_tasks(running, "hubspot")
        if is_open("hubspot", t)
    )
