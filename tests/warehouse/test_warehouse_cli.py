"""`--warehouse` / `cadence.warehouse` take a DuckDB path or a postgresql:// URL (issue 16): a bad URL,
an unreachable server and a refused login are one line each, exit 2, and never show the password; the
doctor names the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.doctor.report import Status
from orchestration.doctor.warehouse import warehouse_check
from tests.warehouse.urls import free_port, with_password

SECRET = "Hunter2-not-shown"


def _with(url: str, password: str = SECRET, port: int | None = None) -> str:
    return with_password(url, password, port)


def _one_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's usage errors
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and SECRET not in err, err
    return err.removeprefix("error: ").strip()


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .dlt/ (conftest clears SOURCES__* and CADENCE__*)
    return tmp_path


def test_a_url_that_is_not_postgres_is_refused_by_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line(capsys, "report", "--warehouse", f"mysql://cadence:{SECRET}@db.example.com/crm")
    assert line.startswith(
        "argument --warehouse: warehouse mysql://cadence:***@db.example.com/crm: use a DuckDB file path or "
        "a postgresql://user@host:port/db URL"
    ), line


def test_a_setting_without_host_is_refused_before_any_work(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CADENCE__WAREHOUSE", f"postgresql://cadence:{SECRET}@/crm")
    assert _one_line(capsys, "run") == (
        "warehouse postgresql://cadence:***@/crm: name the host and the database, "
        "e.g. postgresql://cadence@db.example.com:5432/cadence"
    )


def test_a_wrong_password_stops_the_run_before_the_crms(
    empty_dir: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", "pat-1")  # never called: the warehouse fails first
    monkeypatch.setenv("CADENCE__WAREHOUSE", _with(postgres_url))
    line = _one_line(capsys, "run")
    shown = _with(postgres_url, "***")
    assert line.startswith(f"warehouse {shown}: ") and "password authentication failed" in line, line
    assert line.endswith("; check the user and password in the URL (or PGPASSWORD)")


def test_an_unreachable_server_is_one_line(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    line = _one_line(capsys, "report", "--list-runs", "--warehouse", _with(postgres_url, port=port))
    assert line.startswith(f"warehouse {_with(postgres_url, '***', port)}: cannot connect (")
    assert line.endswith("); check the host and port, and that the server is running")


def test_report_lists_the_runs_of_a_postgres_ledger(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.writeback.ledger import Ledger, LedgerEntry

    ledger = Ledger.open(postgres_url, "0f1e2d3c-run", "salesforce")
    ledger.record([LedgerEntry("salesforce:001:2026-11-01", "create", "001", "00T1", "created")])
    ledger.close()
    assert main(["report", "--warehouse", postgres_url, "--list-runs"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("0f1e2d3c-run") and line.endswith("1 tasks")


def test_the_doctor_names_the_engine(postgres_url: str, tmp_path: Path) -> None:
    ok = warehouse_check(postgres_url)
    assert ok.status == Status.OK and ok.message.startswith("PostgreSQL 1")
    assert ok.message.endswith(f" at {_with(postgres_url, '***')}")
    refused = warehouse_check(_with(postgres_url))
    assert refused.status == Status.BLOCKING and SECRET not in refused.line()
    assert "password authentication failed" in refused.message
    duckdb_file = warehouse_check(tmp_path / "w.duckdb")
    assert (duckdb_file.status, duckdb_file.message) == (
        Status.OK, f"DuckDB file {tmp_path / 'w.duckdb'} (created by the first run)"
    )  # fmt: skip


def test_registry_loads_into_postgres_are_refused_in_one_line(
    empty_dir: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ingest.warehouse import REGISTRIES_ON_POSTGRES

    nppes = empty_dir / "npidata.csv"
    nppes.write_text("NPI\n")
    assert _one_line(capsys, "registries", "load", "--warehouse", postgres_url, "--nppes", str(nppes)) == (
        REGISTRIES_ON_POSTGRES
    )
    monkeypatch.setenv("CADENCE__WAREHOUSE", postgres_url)
    monkeypatch.setenv("CADENCE__REGISTRY_NPPES", str(nppes))
    assert _one_line(capsys, "run") == REGISTRIES_ON_POSTGRES  # the setting: before any work
