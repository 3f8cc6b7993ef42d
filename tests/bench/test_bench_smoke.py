"""`cadence bench --accounts 2000` end to end: the API-call counts are exact, the times are not asserted."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.salesforce.settings import SALESFORCE_OBJECTS
from orchestration.cli import main

FORCED_TASKS = 1_000


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("bench")
    output = workdir / "results.json"
    # The per-record baseline (~1 min here) and a second night are left to the real runs.
    argv = [
        "bench",
        "--accounts",
        "2000",
        "--forced-tasks",
        str(FORCED_TASKS),
        "--no-baseline",
        "--nights",
        "1",
    ]
    argv += ["--workdir", str(workdir)]
    assert main([*argv, "-o", str(output)]) == 0
    return orjson.loads(Path(output).read_bytes())


def _step(results: dict[str, Any], step: str, crm: str | None = None) -> dict[str, Any]:
    (found,) = [s for s in results["steps"] if s["step"] == step and s["crm"] == crm]
    return found


def _counter_sum(step: dict[str, Any], prefix: str) -> int:
    return sum(n for name, n in step["details"]["counters"].items() if name.startswith(prefix))


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_full_sync_reads_the_fewest_pages(results: dict[str, Any], crm: str) -> None:
    full = _step(results, "full sync", crm)
    assert full["calls"] == full["min_calls"]
    assert full["rows"] == sum(full["details"]["rows_by_table"].values()) > 30_000


def test_unchanged_sync_makes_one_query_per_object(results: dict[str, Any]) -> None:
    salesforce = _step(results, "unchanged sync", "salesforce")
    # One query per object, and the nightly Account key scan: 2,000 accounts, one page of ids.
    assert salesforce["calls"] == salesforce["min_calls"] == len(SALESFORCE_OBJECTS) + 1
    assert _counter_sum(salesforce, "salesforce.query_more") == 0
    hubspot = _step(results, "unchanged sync", "hubspot")
    assert _counter_sum(hubspot, "hubspot.search.") == 5  # one search per CRM object, nothing new
    assert hubspot["calls"] == hubspot["min_calls"]


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_changed_sync_reads_only_the_changed_pages(results: dict[str, Any], crm: str) -> None:
    changed = _step(results, "sync, 1% changed", crm)
    assert changed["calls"] == changed["min_calls"]
    assert changed["rows"] > 0


@pytest.mark.parametrize(("crm", "batch"), [("salesforce", 200), ("hubspot", 100)])
def test_writeback_write_calls_are_exact(results: dict[str, Any], crm: str, batch: int) -> None:
    forced = _step(results, f"writeback of {FORCED_TASKS:,} tasks", crm)
    assert forced["calls"] == forced["min_calls"] == math.ceil(FORCED_TASKS / batch)
    assert forced["rows"] == FORCED_TASKS
    queue = _step(results, "writeback of the queue", crm)
    assert queue["calls"] == queue["min_calls"]
    assert queue["rows"] == queue["details"]["planned_creates"] + queue["details"]["planned_closes"] > 0


def test_the_nightly_job_runs_and_writes_the_figures(results: dict[str, Any]) -> None:
    first = _step(results, "nightly job, first night")
    assert first["rows"] > 60_000 and first["api_calls"] > 0
    # where the night's time went: the start-up and every step of the job, each timed, none longer
    # than the night itself
    steps = first["details"]["step_seconds"]
    assert {"start-up", "salesforce_raw", "cadence_dbt_models", "salesforce_task_writeback"} <= set(steps)
    assert 0 < sum(steps.values()) <= first["wall_s"] + 0.5  # two clocks: wall (perf_counter), steps (time)
    assert set(results["machine"]) >= {"cpu", "cores", "memory_gb"}
    assert all(step["peak_mb"] > 0 for step in results["steps"])
