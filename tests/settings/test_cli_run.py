"""`cadence run` end to end on the settings a user sets: one CRM configured, only that CRM is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sandbox_settings import hubspot_config
from orchestration.cli import main
from tests.conftest import StartSandbox
from tests.helpers import crm_calls
from tests.orchestration.org import AS_OF, hand_made_org


def test_run_with_only_hubspot_configured_audits_hubspot_alone(
    start_sandbox: StartSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    running = start_sandbox(hand_made_org())
    hubspot = hubspot_config(running)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", hubspot.access_token)
    monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", hubspot.base_url)
    monkeypatch.setenv("CADENCE__WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    assert main(["run", "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "not audited (cadence.crms)" in out
    assert (tmp_path / "warehouse.duckdb").exists()
    calls = crm_calls(running)
    assert calls.get("hubspot.total", 0) > 0
    assert not [name for name in calls if name.startswith("salesforce.")]
