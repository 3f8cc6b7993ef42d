"""`cadence run` against a CRM that cannot be reached or refuses the login: one line naming the setting to
fix, no secret. When it is the only audited CRM: exit 2 before the job starts (no progress lines, no sync
call); `cadence ingest` likewise. When another CRM is fine, each CRM stands alone (issue 18): the other one
runs and gets its tasks, and the run exits 1 naming the CRM left out and why."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import pytest

from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.cli import main
from orchestration.runtime import RunSummary
from tests.conftest import StartSandbox
from tests.helpers import crm_calls
from tests.orchestration.org import AS_OF, hand_made_org

WRONG = "wrong-secret-f00d"


@pytest.fixture
def sandbox(start_sandbox: StartSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """Both CRMs of a sandbox configured by env vars, as `cadence sandbox serve` prints them."""
    org = hand_made_org()
    org["salesforce"]["_profile"] = "realistic"
    org["hubspot"]["_behaviour"] = {"profile": "realistic"}
    running = start_sandbox(org)
    for config in (salesforce_config(running), hubspot_config(running)):
        for name, value in dict(config).items():
            if value is not None:
                monkeypatch.setenv(config.env_name(name), str(value))
    monkeypatch.setenv("CADENCE__WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.chdir(tmp_path)
    return running


def _run_fails_with(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv) or ["run", "--as-of", AS_OF.isoformat()]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err  # no progress line: the job never started
    assert WRONG not in err
    return err.strip()


def test_a_rejected_salesforce_secret_blocks_only_salesforce(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__SALESFORCE__CLIENT_SECRET", WRONG)
    assert main(["run", "--as-of", AS_OF.isoformat()]) == 1
    out, err = capsys.readouterr()
    assert WRONG not in out + err
    assert (
        "error: salesforce not synced, no task written: Salesforce rejected the client credentials "
        "(invalid_client): check SOURCES__SALESFORCE__CLIENT_ID / CLIENT_SECRET"
    ) in out.splitlines()
    assert "BLOCKED" in next(line for line in out.splitlines() if line.strip().startswith("salesforce"))
    calls = {name for name in crm_calls(sandbox) if not name.endswith(".total")}
    assert {name for name in calls if name.startswith("salesforce.")} == {"salesforce.token"}
    assert "hubspot.batch_create.tasks" in calls  # HubSpot got its tasks
    assert _run_fails_with(capsys, "ingest", "salesforce").startswith("error: Salesforce rejected")


def test_a_rejected_hubspot_token_stops_the_run_before_the_job(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", WRONG)
    monkeypatch.setenv("CADENCE__CRMS", "hubspot")  # the only audited CRM: nothing to run
    err = _run_fails_with(capsys)
    assert err.startswith("error: HubSpot rejected the access token (")
    assert err.endswith("set SOURCES__HUBSPOT__ACCESS_TOKEN to a private app token with crm.objects.* scopes")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_login_url_stops_the_run_before_the_job(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login_url = f"https://127.0.0.1:{_free_port()}"  # nothing listens there
    monkeypatch.setenv("SOURCES__SALESFORCE__LOGIN_URL", login_url)
    monkeypatch.setenv("SOURCES__SALESFORCE__RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("CADENCE__CRMS", "salesforce")  # the only audited CRM: nothing to run
    assert _run_fails_with(capsys) == (
        f"error: Salesforce at {login_url}/services/oauth2/token kept failing (connection failed "
        "(ConnectionError)) after 6 tries: check SOURCES__SALESFORCE__LOGIN_URL and the org's status"
    )


def test_a_failed_run_still_says_which_crm_was_not_audited() -> None:
    summary = RunSummary(
        succeeded=False, as_of=date(2026, 11, 27), warehouse=Path("w.duckdb"), audited=("salesforce",)
    )
    rows = summary.render().splitlines()[2:4]
    assert rows[0].split() == ["salesforce", "0", "-", "0", "0", "0"]  # "-": no marts built by this run
    assert rows[1].split() == ["hubspot", "not", "audited", "(cadence.crms)"]
