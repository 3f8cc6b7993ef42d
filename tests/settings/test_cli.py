"""`cadence`: a user error exits 2 with one line naming the fix, before any slow import or work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.writeback.ledger import Ledger, LedgerEntry

RUN_ID = "0f1e2d3c-aaaa-bbbb-cccc-000000000001"


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no `.dlt/` (conftest clears SOURCES__* and CADENCE__*)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err.strip()


def _cli_in_subprocess(cwd: Path, *argv: str) -> tuple[int, str, str, float]:
    """`cadence ARGV` in a fresh interpreter; stdout's last line says whether Dagster was imported."""
    code = (
        "import sys\nfrom orchestration.cli import main\n"
        f"rc = main({list(argv)!r})\nprint('dagster' in sys.modules)\nsys.exit(rc)"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout.strip(), done.stderr.strip(), time.perf_counter() - started


def test_run_without_any_crm_fails_at_once(empty_dir: Path) -> None:
    code, out, err, seconds = _cli_in_subprocess(empty_dir, "run")
    assert (code, out) == (2, "False")  # Dagster never imported: no work started
    assert err == (
        "error: no CRM is configured: set SOURCES__SALESFORCE__* or SOURCES__HUBSPOT__* "
        '(README, section "Pointing it at a real org"), or try the pipeline on the sandbox CRM with '
        "`cadence demo`"
    )
    assert seconds < 15


def test_demo_with_a_missing_org_file_fails_before_the_imports(empty_dir: Path) -> None:
    code, out, err, _ = _cli_in_subprocess(empty_dir, "demo", "--org", "missing.json")
    assert (code, out) == (2, "False")
    assert err == "error: org file missing.json not found; omit --org to generate one"


def test_a_mistyped_setting_fails_run_and_ingest(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__SALESFORCE__LOGINURL", "https://acme.my.salesforce.com")
    expected = (
        "error: SOURCES__SALESFORCE__LOGINURL is not a salesforce setting: "
        "did you mean SOURCES__SALESFORCE__LOGIN_URL?"
    )
    assert _one_line_error(capsys, "run") == expected
    assert _one_line_error(capsys, "ingest", "salesforce") == expected


def test_ingest_of_a_crm_not_audited_names_the_fix(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", "pat-1")
    assert _one_line_error(capsys, "ingest", "salesforce") == (
        "error: salesforce is not audited (audited: hubspot): set SOURCES__SALESFORCE__* and list it in "
        'cadence.crms (README, section "Pointing it at a real org")'
    )


@pytest.fixture
def ledger_only_warehouse(tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    ledger = Ledger.open(warehouse, RUN_ID, "salesforce")
    ledger.record([LedgerEntry("salesforce:001:2026-11-01", "create", "001", "00T1", "created")])
    ledger.close()
    return warehouse


def test_report_of_an_unknown_run_names_how_to_list_the_runs(
    ledger_only_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = str(ledger_only_warehouse)
    assert _one_line_error(capsys, "report", "--warehouse", warehouse, "--run-id", "nope") == (
        f"error: --run-id nope is not a run in {warehouse}; list the runs with "
        f"`cadence report --list-runs --warehouse {warehouse}`"
    )
    assert main(["report", "--warehouse", warehouse, "--list-runs"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(RUN_ID) and line.endswith("1 tasks")


def test_report_of_a_missing_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.duckdb"
    assert _one_line_error(capsys, "report", "--warehouse", str(missing)) == (
        f"error: warehouse {missing} not found; run `cadence demo` or `cadence run`"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--accounts", "0"], "argument --accounts: must be a positive number"),
        (["run", "--as-of", "tomorrow"], "argument --as-of: 'tomorrow' is not a date; use YYYY-MM-DD"),
        (["ingest", "pipedrive"], "argument crm: invalid choice: 'pipedrive'"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {message}"), err
    assert err.rstrip().endswith("--help`)")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--version"])
    assert raised.value.code == 0
    assert capsys.readouterr().out == "cadence 0.1.0\n"


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("bench", ["accounts per CRM (default: 10000)", "in tasks per CRM (default: 10000)"]),
        ("run", ["--max-tasks-per-run N", "(default: cadence.max_tasks_per_run, else 500)"]),
        ("run", ["--as-of YYYY-MM-DD", "--warehouse PATH", "YYYY-MM-DD (default: today, UTC)"]),
        ("report", ["DuckDB file or postgresql://", "(default: var/warehouse.duckdb)"]),
    ],
)
def test_help_shows_defaults_and_units(
    command: str, shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for fragment in shown:
        assert fragment in text
