"""`cadence bench --engine both` (issue 16): every step on DuckDB, then on PostgreSQL, side by side.

The engine changes only where the rows land, so each step must make the same API calls and move the
same rows on both (the times are not asserted). The PostgreSQL pass writes databases cadence_bench_*
on the suite's server, named by `--postgres`, and never prints or stores that URL's password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from orchestration.bench.postgres_server import PostgresServer, run_sql
from orchestration.cli import main

ACCOUNTS = 100
FORCED_TASKS = 50
# The steps of one pass with --no-baseline and one night, both CRMs (orchestration/bench/run.py).
STEPS_PER_PASS = [
    "full sync [salesforce]",
    "full sync [hubspot]",
    "unchanged sync [salesforce]",
    "unchanged sync [hubspot]",
    "change 1% of records",
    "sync, 1% changed [salesforce]",
    "sync, 1% changed [hubspot]",
    "dbt build",
    "writeback of the queue [salesforce]",
    "writeback of the queue [hubspot]",
    f"writeback of {FORCED_TASKS} tasks [salesforce]",
    f"writeback of {FORCED_TASKS} tasks [hubspot]",
    "nightly job, first night",
]


@dataclass(frozen=True)
class BenchRun:
    results: dict[str, Any]
    text: str  # results.json as written
    workdir: Path


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> BenchRun:
    workdir = tmp_path_factory.mktemp("bench-engines")
    output = workdir / "results.json"
    argv = [
        "bench", "--accounts", str(ACCOUNTS), "--forced-tasks", str(FORCED_TASKS), "--no-baseline",
        "--nights", "1", "--engine", "both", "--postgres", postgres_server.admin_url,
        "--workdir", str(workdir), "-o", str(output),
    ]  # fmt: skip
    assert main(argv) == 0
    return BenchRun(orjson.loads(output.read_bytes()), output.read_text(), workdir)


def test_each_engine_runs_every_step_once(bench_run: BenchRun) -> None:
    results = bench_run.results
    by_engine: dict[str | None, list[str]] = {}
    for step in results["steps"]:
        label = f"{step['step']} [{step['crm']}]" if step["crm"] else step["step"]
        by_engine.setdefault(step["engine"], []).append(label)
    assert by_engine == {None: ["generate org"], "duckdb": STEPS_PER_PASS, "postgres": STEPS_PER_PASS}
    assert [entry["step"] for entry in results["side_by_side"]] == STEPS_PER_PASS


def test_both_engines_make_the_same_calls_and_move_the_same_rows(
    bench_run: BenchRun,
) -> None:
    results = bench_run.results
    for entry in results["side_by_side"]:
        duckdb, postgres = entry["api_calls"]["duckdb"], entry["api_calls"]["postgres"]
        assert duckdb == postgres, entry["step"]
        assert entry["rows"]["duckdb"] == entry["rows"]["postgres"], entry["step"]
    first_night = [s for s in results["steps"] if s["step"] == "nightly job, first night"]
    created = [step["details"]["created"] for step in first_night]
    assert created[0] == created[1]
    assert created[0]["salesforce"] > 0 and created[0]["hubspot"] > 0


def test_the_postgres_pass_wrote_its_own_databases(
    bench_run: BenchRun, postgres_server: PostgresServer
) -> None:
    names = run_sql(
        postgres_server.admin_url,
        "select datname from pg_database where datname like 'cadence\\_bench\\_%' order by datname",
    ).split()
    expected = ["forced_hubspot", "forced_salesforce", "nightly", "warehouse"]
    assert names == [f"cadence_bench_{name}" for name in expected]


def test_the_server_password_is_never_stored(
    bench_run: BenchRun, postgres_server: PostgresServer
) -> None:
    password = urlsplit(postgres_server.admin_url).password
    assert password and password not in bench_run.text


def test_each_pass_writes_its_report_in_its_own_scratch(bench_run: BenchRun) -> None:
    """A PostgreSQL warehouse has no folder: its run's outputs go under $CADENCE_STATE_DIR, which the
    bench points into the pass's scratch (never the working directory)."""
    (org_scratch,) = [path for path in bench_run.workdir.iterdir() if path.is_dir()]
    duckdb_reports = sorted((org_scratch / "duckdb" / "reports").glob("cadence-report-*.html"))
    postgres_reports = sorted((org_scratch / "postgres" / "state" / "reports").glob("cadence-report-*.html"))
    assert len(duckdb_reports) == len(postgres_reports) == 1
    assert (org_scratch / "postgres" / "state" / "quality-docs" / "index.html").is_file()


def test_a_server_that_does_not_answer_stops_the_bench_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--engine", "postgres", "--postgres", "postgresql://u:s3cret@127.0.0.1:1/postgres"]
    assert main([*argv, "--workdir", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # not even the org was generated
    assert err.startswith("error: cadence bench --postgres (server 127.0.0.1:1): psql failed:")
    assert err.rstrip().endswith("check the URL") and err.count("\n") == 1
    assert "s3cret" not in err


def test_postgres_without_its_engine_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--postgres", "postgresql://u@127.0.0.1/postgres", "--workdir", str(tmp_path)]
    assert main(argv) == 2
    expected = "error: cadence bench --postgres: add --engine postgres or --engine both\n"
    assert capsys.readouterr().err == expected
