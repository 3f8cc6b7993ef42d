"""`cadence doctor` reads the CRMs from the settings schema (`load_settings()`); `--sandbox` ignores them.

Each test sets its own `SOURCES__*` with monkeypatch in a tmp working directory (conftest clears the
machine's own), so nothing here reads the settings of the machine it runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox
from ingest.sandbox.generator import generate_org
from orchestration.cli import main


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    """A sandbox configured as the production CRMs are: SOURCES__* env vars, no .dlt/ directory."""
    monkeypatch.chdir(tmp_path)
    document = generate_org(accounts=10, seed=7, junk=False)
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "configured-ca") as running:
        credentials = running.credentials
        for key, value in {
            "SOURCES__SALESFORCE__LOGIN_URL": running.https_url,
            "SOURCES__SALESFORCE__CLIENT_ID": credentials.salesforce_client_id,
            "SOURCES__SALESFORCE__CLIENT_SECRET": credentials.salesforce_client_secret,
            "SOURCES__SALESFORCE__CA_BUNDLE": str(running.ca_path),
            "SOURCES__HUBSPOT__ACCESS_TOKEN": credentials.hubspot_token,
            "SOURCES__HUBSPOT__BASE_URL": running.http_url,
        }.items():
            monkeypatch.setenv(key, value)
        yield running


def _calls(running: RunningSandbox) -> int:
    counters = running.control("GET", "/__sandbox/counters")
    return counters.get("salesforce.total", 0) + counters.get("hubspot.total", 0)


def test_the_configured_crms_are_checked(
    configured: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("verdict: READY (salesforce, hubspot;")
    assert _calls(configured) > 0


def test_sandbox_ignores_the_configured_crms(
    configured: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "org.json"
    org.write_bytes(orjson.dumps(generate_org(accounts=10, seed=7)))
    assert main(["doctor", "--sandbox", "--org", str(org)]) == 0
    assert _calls(configured) == 0  # the configured "production" CRMs received no call


def test_a_typo_in_the_settings_exits_2_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__SALESFORCE__LOGINURL", "https://acme.my.salesforce.com")
    assert main(["doctor"]) == 2
    assert capsys.readouterr().err == (
        "error: SOURCES__SALESFORCE__LOGINURL is not a salesforce setting: "
        "did you mean SOURCES__SALESFORCE__LOGIN_URL?\n"
    )
