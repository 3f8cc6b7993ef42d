"""The Dagster code location loads, and the nightly schedule targets the job at 02:00 (or the env's cron)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import dagster as dg
import pytest

from orchestration import definitions
from orchestration.defs import jobs

JOB = "nightly_cadence_audit"


def _schedule(defs: dg.Definitions) -> dg.ScheduleDefinition:
    return defs.resolve_schedule_def("nightly_cadence_audit_schedule")


def test_definitions_load_with_the_job_its_schedule_and_both_writebacks() -> None:
    defs = definitions.build_definitions()
    job = defs.resolve_job_def(JOB)
    schedule = _schedule(defs)
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        JOB, "0 2 * * *", "UTC"
    )  # fmt: skip
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"salesforce_task_writeback", "hubspot_task_writeback"} <= keys
    prefixes = {key.split("/")[0] for key in keys}
    assert {"salesforce", "hubspot"} <= prefixes
    assert any(key.endswith("overdue_visit_tasks") for key in keys)


@pytest.fixture
def reloaded_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """jobs.py reads the env at import: reload it under the test's env, and again afterwards."""
    monkeypatch.setenv("CADENCE_SCHEDULE_CRON", "30 5 * * 1-5")
    monkeypatch.setenv("CADENCE_SCHEDULE_TIMEZONE", "America/Chicago")
    importlib.reload(jobs)
    yield
    monkeypatch.undo()
    importlib.reload(jobs)


@pytest.mark.usefixtures("reloaded_jobs")
def test_schedule_cron_and_timezone_come_from_the_environment() -> None:
    schedule = _schedule(definitions.build_definitions())
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        JOB, "30 5 * * 1-5", "America/Chicago"
    )  # fmt: skip


def test_assets_name_the_dbt_models_by_the_keys_dagster_dbt_gives_them() -> None:
    """Writeback and quality wait on dbt models by key (defs/keys.py), not by importing the dbt assets:
    each such key is the one the manifest's asset carries, so the dependency is real."""
    from orchestration.defs.dbt import dbt_definitions
    from orchestration.defs.keys import model_key
    from orchestration.defs.writeback import QUEUE_KEY, salesforce_task_writeback

    (dbt_models,) = dbt_definitions().assets or []
    dbt_keys = set(dbt_models.keys)
    assert len(dbt_keys) > 10
    assert {model_key(key.path[-1]) for key in dbt_keys} == dbt_keys
    assert dg.AssetKey(["marts", "overdue_visit_tasks"]) == QUEUE_KEY
    assert QUEUE_KEY in dbt_keys & set(salesforce_task_writeback.dependency_keys)
