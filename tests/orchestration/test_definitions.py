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
