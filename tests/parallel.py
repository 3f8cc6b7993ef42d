"""The suite on several workers (pytest-xdist, `make test` runs `-n 4 --dist loadfile`).

Most end-to-end tests wait, not compute: on HubSpot's search lag, on rate-limit pacing, on dbt
subprocesses. Workers overlap those waits. Two things must not be done by every worker at once:

- the dbt manifest Dagster's asset graph is built from (`dbt parse` into dbt_project/target when a
  model changed): every worker builds the definitions in its first test, and concurrent parses
  write the same files. The xdist controller prepares it once, before any worker starts;
- a module-scoped fixture (a warehouse built once and read by many tests) would be built again by
  each worker that runs one of its tests: `--dist loadfile` sends each file's tests to one worker.
  (`--dist loadgroup` with a marker per module would spread the other files more finely, but xdist
  3.8's group suffix does not take on pytest 9: the tests were spread anyway.)

Under `--dist loadfile` the work is handed out longest first (tests/xdist_schedule.py), from the
measured SECONDS below; the files of SPLIT_FILES (several long tests, each with its own sandbox and
runs, no module-scoped fixture) go out one test at a time.

Every test already owns its ports (the sandbox binds port 0), files (tmp_path), dbt target and log
paths, and working directory (monkeypatch.chdir), so nothing else is shared.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# Seconds per work unit: a file, or "file::test" for the tests of a split file (a prefix of the test's
# name, which every case of a parametrised test shares), from
# `pytest -n 4 --dist loadfile -v` on a 2-core machine at load ~17 (2026-12-01; the work that run did not
# reach before its 50 minutes were up, the soak first, is estimated from its nightly runs): only the order
# matters, so relative costs are enough. Unlisted work is short. Refresh when a file's cost changes a lot.
SECONDS: dict[str, float] = {
    "tests/soak/test_thirty_nights.py": 3000,  # ~14 nightly runs in one test: always first
    "tests/orchestration/test_ledger_converges.py::test_kill_9_of_the": 700,
    "tests/bench/test_bench_smoke.py": 615,
    "tests/orchestration/test_nightly_writeback.py::test_create_once_then_nothing": 606,
    "tests/orchestration/test_ledger_converges.py::test_a_created_task_missing": 600,
    "tests/quality/test_quality_gate.py": 600,
    "tests/orchestration/test_api_budget.py::test_a_hubspot_night_stopped": 600,
    "tests/orchestration/test_writeback_recovery.py": 550,
    "tests/ingest/test_purged_deletes.py::test_account_purged_while_the": 444,
    "tests/orchestration/test_api_budget.py::test_a_run_that_would": 450,
    "tests/orchestration/test_date_guards.py::test_a_backdated_as_of": 385,
    "tests/orchestration/test_date_guards.py::test_a_task_completed_without": 543,
    "tests/orchestration/test_date_guards.py::test_an_as_of_six": 506,
    "tests/orchestration/test_writeback_lost_answers.py::test_first_create_batch_applied": 400,
    "tests/orchestration/test_writeback_lost_answers.py::test_duplicate_open_tasks_are": 369,
    "tests/orchestration/test_own_tasks_edited.py": 450,
    "tests/doctor/test_doctor.py": 350,
    "tests/ingest/test_purged_deletes.py::test_company_past_its_90": 327,
    "tests/ingest/test_hubspot_associations.py::test_meeting_associated_next_morning": 306,
    "tests/dbt/test_marts.py": 304,
    "tests/orchestration/test_nightly_writeback.py::test_runaway_queue_stops_before": 186,
    "tests/report/test_report.py": 256,
    "tests/orchestration/test_quarantine_night.py": 300,
    "tests/orchestration/test_ledger_converges.py::test_a_writeback_only_rerun": 200,
    "tests/orchestration/test_task_text.py::test_a_megabyte_account_name": 200,
    "tests/orchestration/test_api_budget.py::test_a_run_within_the": 150,
    "tests/orchestration/test_crm_isolation.py::test_a_blocked_salesforce_raw": 150,
    "tests/e2e/test_demo_org_file.py::test_demo_runs_an_org": 150,
    "tests/orchestration/test_dbt_stops_with_run.py::test_dbt_stops_when_the": 100,
    "tests/orchestration/test_nightly_writeback.py::test_unconfigured_crm_is_skipped": 174,
    "tests/ingest/test_hubspot_ingest.py": 160,
    "tests/warehouse/test_three_nights_both_engines.py": 265,  # 3 nightly runs per engine, one fixture
    "tests/warehouse/test_engines_agree.py": 250,  # two syncs, dbt on both engines, two rebuilds
    "tests/e2e/test_marts_from_sandbox.py": 135,
    "tests/ingest/test_salesforce_ingest.py": 114,
    "tests/ingest/test_lookback.py": 75,
    "tests/ingest/test_quarantine.py": 56,
    "tests/dbt/test_owners_who_can_act.py::test_without_a_fallback_only": 116,
    "tests/dbt/test_owners_who_can_act.py::test_the_rules_fallback_owner": 88,
    "tests/orchestration/test_deploy.py": 170,
    "tests/settings/test_preflight.py": 140,
    "tests/dbt/test_single_crm.py": 150,
    "tests/orchestration/test_input_errors.py::test_a_directory_as_org": 45,
    "tests/orchestration/test_input_errors.py::test_a_bad_org_file": 38,
    "tests/orchestration/test_import_cost.py::test_importing_every_module_runs": 36,
    "tests/orchestration/test_import_cost.py::test_a_module_imports_in": 30,
    # this stop's files (issues 14, 15, 16), from their branches' runs under a similar load
    "tests/report/test_people_report.py": 300,
    "tests/orchestration/test_referral_value.py": 220,
    "tests/report/test_referral_report.py": 180,
    "tests/e2e/test_referrer_coverage.py": 115,
    "tests/dbt/test_registry_marts.py": 100,
    "tests/registries/test_registry_asset.py": 40,
    "tests/registries/test_marketing_export.py": 150,  # issue 15 items 6-7: one nightly run
    "tests/registries/test_prospect_writeback.py": 320,  # two nightly runs + two `cadence prospects`
    "tests/orchestration/test_warehouse_lock.py": 10,
    "tests/orchestration/test_deploy_postgres.py": 190,  # one nightly run, Dagster on Postgres (load ~12)
    "tests/dbt/test_warehouse_compile.py": 60,  # dbt compile per adapter installed (postgres: 58 s)
    "tests/bench/test_bench_engines.py": 175,  # a 100-account bench on both engines (quiet machine: 172 s)
}

# Files whose long tests each start their own sandbox (no module- or session-scoped fixture but the
# conftest's): one work unit per test. A file with a module-scoped fixture must never be listed, or
# each worker running one of its tests would build that fixture again.
SPLIT_FILES = frozenset({
    "tests/ingest/test_hubspot_associations.py",
    "tests/dbt/test_owners_who_can_act.py",
    "tests/ingest/test_purged_deletes.py",
    "tests/orchestration/test_api_budget.py",
    "tests/orchestration/test_crm_isolation.py",
    "tests/orchestration/test_date_guards.py",
    "tests/orchestration/test_dbt_stops_with_run.py",
    "tests/orchestration/test_import_cost.py",
    "tests/orchestration/test_input_errors.py",
    "tests/orchestration/test_ledger_converges.py",
    "tests/orchestration/test_nightly_writeback.py",
    "tests/orchestration/test_task_text.py",
    "tests/orchestration/test_writeback_lost_answers.py",
    "tests/e2e/test_demo_org_file.py",
})  # fmt: skip


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` (make test): the split files by test; other modes are xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.xdist_schedule import LongestFirstScheduling

    return LongestFirstScheduling(config, log, SPLIT_FILES)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each worker whether to sort its collection (a worker's own `dist` option is "no")."""
    node.workerinput["longest_first"] = node.config.getvalue("dist") == "loadfile"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a `--dist loadfile` worker: the collection longest first, the order the scheduler hands the
    work out in (it follows the collection). Every worker sorts alike, so their collections agree."""
    if not getattr(config, "workerinput", {}).get("longest_first"):
        return
    from tests.xdist_schedule import longest_first

    order = longest_first([item.nodeid for item in items], SECONDS, SPLIT_FILES)
    rank = {nodeid: n for n, nodeid in enumerate(order)}
    items.sort(key=lambda item: rank[item.nodeid])


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        _prepare_dbt_manifest()
        _start_shared_postgres(config)


def _start_shared_postgres(config: pytest.Config) -> None:
    """One PostgreSQL server for every worker (each test takes its own database on it): started
    before the workers, which inherit its URL; stopped when the run ends. Without Debian's server
    binaries the tests that need it fail with the one-line fix, the others run."""
    from orchestration.bench.postgres_server import PostgresUnavailable, start_server

    if server_from_env() is not None:
        return
    try:
        server = start_server()
    except PostgresUnavailable:
        return
    os.environ[POSTGRES_ENV_URL] = server.admin_url
    config.add_cleanup(server.stop)


# An admin URL (to the `postgres` database) of the run's PostgreSQL server, or of a server of your own.
POSTGRES_ENV_URL = "CW_TEST_POSTGRES_URL"


def server_from_env() -> Any:
    """The server $CW_TEST_POSTGRES_URL names (a PostgresServer), or None."""
    from orchestration.bench.postgres_server import PostgresServer

    url = os.environ.get(POSTGRES_ENV_URL)
    return PostgresServer.external(url) if url else None


def _is_xdist_controller(config: pytest.Config) -> bool:
    workers = config.getoption("numprocesses", default=None)
    return not hasattr(config, "workerinput") and bool(workers)


def _prepare_dbt_manifest() -> None:
    from orchestration.defs.dbt import prepared_manifest

    prepared_manifest()
