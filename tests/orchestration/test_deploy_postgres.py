"""Dagster on PostgreSQL (issue 16): deploy/dagster-postgres.yaml loads with its credentials from the
environment, and one nightly run of the job against the sandbox (on the default DuckDB warehouse) leaves
the run, its steps' events, its asset materializations and asset checks in that database: nothing in
DAGSTER_HOME's SQLite files, and the password in none of DAGSTER_HOME's files."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dagster as dg
import pytest
import yaml
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from orchestration.bench.postgres_server import run_sql
from orchestration.defs.keys import HUBSPOT_WRITEBACK, SALESFORCE_WRITEBACK
from tests.conftest import StartSandbox
from tests.orchestration.harness import run_audit
from tests.orchestration.org import AS_OF, EXPECTED_TASKS, hand_made_org

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
POSTGRES_YAML = DEPLOY / "dagster-postgres.yaml"
MATERIALIZED = "select asset_key from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
CHECKED = "select count(*) from event_logs where dagster_event_type = 'ASSET_CHECK_EVALUATION'"
# What one night materializes (orchestration/defs): both CRMs' raw tables, the dbt models, the
# writebacks, the people, the KPI snapshot and the report; spot-checked by key below.
SOME_ASSETS = {
    '["salesforce", "account"]', '["hubspot", "companies"]', '["marts", "account_cadence"]',
    '["marts", "overdue_visit_tasks"]', '["salesforce_task_writeback"]', '["hubspot_task_writeback"]',
    '["rep_kpi_snapshot"]', '["cadence_report"]',
}  # fmt: skip


def test_the_postgres_instance_is_the_sqlite_one_but_for_its_storage() -> None:
    """One instance, two storages: the files must not drift apart (queue, pools, monitoring, retention)."""
    sqlite, postgres = (yaml.safe_load(path.read_text()) for path in (DEPLOY / "dagster.yaml", POSTGRES_YAML))
    assert {**postgres, "storage": None} == {**sqlite, "storage": None}
    assert set(postgres["storage"]) == {"postgres"}


def _point_dagster_at(url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DAGSTER_HOME with the shipped Postgres dagster.yaml, and its DAGSTER_PG_* variables set from `url`,
    as the README tells an admin to."""
    home.mkdir()
    shutil.copy(POSTGRES_YAML, home / "dagster.yaml")
    parts = urlsplit(url)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_USERNAME", unquote(parts.username or ""))
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", unquote(parts.password or ""))
    monkeypatch.setenv("DAGSTER_PG_HOST", parts.hostname or "")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(parts.port))
    monkeypatch.setenv("DAGSTER_PG_DB", parts.path.lstrip("/"))


def test_one_nightly_run_is_stored_in_postgres(
    tmp_path: Path, postgres_url: str, start_sandbox: StartSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    _point_dagster_at(postgres_url, home, monkeypatch)
    running = start_sandbox(hand_made_org())
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        run = run_audit(running, tmp_path / "warehouse.duckdb", AS_OF, instance=instance)
        assert run.summary.succeeded, run.summary.error
        (stored,) = instance.get_runs()
        assert (stored.job_name, stored.status) == ("nightly_cadence_audit", dg.DagsterRunStatus.SUCCESS)
        for key in (SALESFORCE_WRITEBACK, HUBSPOT_WRITEBACK):  # the writeback's figures, read back from there
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.run_id == stored.run_id
            metadata = event.asset_materialization.metadata  # type: ignore[union-attr]
            assert metadata["created"].value == len(EXPECTED_TASKS)

    # Read with psql, not through Dagster: the rows are in Postgres, one run's worth.
    runs = run_sql(postgres_url, "select pipeline_name, status from runs")
    assert runs == "nightly_cadence_audit|SUCCESS\n"
    run_ids = run_sql(postgres_url, "select distinct run_id from event_logs where run_id <> ''")
    assert run_ids == f"{stored.run_id}\n"
    materialized = run_sql(postgres_url, MATERIALIZED).splitlines()
    assert len(materialized) == len(set(materialized))  # each asset once
    assert set(materialized) >= SOME_ASSETS, sorted(materialized)
    checks = run_sql(postgres_url, CHECKED)
    assert int(checks) > 0  # the quality gate's results too
    # No SQLite storage beside it, and the password nowhere in DAGSTER_HOME (logs, artifacts).
    assert not (home / "history").exists() and not (home / "schedules").exists()
    password = unquote(urlsplit(postgres_url).password or "")
    for path in home.rglob("*"):
        assert not path.is_file() or password.encode() not in path.read_bytes(), path
