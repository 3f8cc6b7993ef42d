"""The production instance (deploy/dagster.yaml) loads, keeps its state in DAGSTER_HOME, queues runs one at
a time, and the nightly schedule asks it for exactly one run of the job per tick."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.run_coordinator import QueuedRunCoordinator

from orchestration.defs.jobs import nightly_schedule

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as loaded:
        yield loaded


def test_the_instance_keeps_its_state_in_dagster_home_and_runs_one_at_a_time(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    home = tmp_path / "dagster_home"
    assert instance.is_persistent
    assert Path(instance.root_directory) == home
    assert (home / "history" / "runs.db").exists() and (home / "schedules" / "schedules.db").exists()
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_the_nightly_schedule_requests_one_run_of_the_job(instance: dg.DagsterInstance) -> None:
    assert nightly_schedule.job_name == "nightly_cadence_audit"
    assert nightly_schedule.cron_schedule == "0 2 * * *"  # CADENCE_SCHEDULE_CRON unset
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING  # as the README says
    tick = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    result = nightly_schedule.evaluate_tick(context)
    assert result.skip_message is None
    (request,) = result.run_requests or []
    assert request.job_name in (None, "nightly_cadence_audit")  # None: the schedule's own job
    assert request.run_config == {}  # no credentials in run config: the resources read their settings


def _dagster(home: str, cwd: Path, *args: str) -> str:
    """The dagster CLI on the shipped workspace, without any CRM settings of this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE_"))}
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), *args, "-w", str(DEPLOY / "workspace.yaml")],
        cwd=cwd,
        # Nothing configured: the code location still loads (a run would fail at once, naming the fix).
        env={**env, "DAGSTER_HOME": home},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_stopping_the_schedule_as_the_readme_says_is_kept_in_dagster_home(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    """The workspace loads (as dagster-daemon and dagster-webserver load it) and `dagster schedule stop`
    is stored in the instance, so a restarted daemon keeps it off."""
    home = instance.root_directory
    assert "Stopped schedule nightly_cadence_audit_schedule" in _dagster(
        home, tmp_path, "schedule", "stop", "nightly_cadence_audit_schedule"
    )
    listed = _dagster(home, tmp_path, "schedule", "list")
    assert "Schedule: nightly_cadence_audit_schedule [STOPPED]" in listed
