"""Settings round trip (orchestration/settings.load_settings): every setting written to `.dlt/` at a
value that is not its default comes back as written, from the file or its env var.

The `.dlt/` here is tmp_path's (conftest clears the machine's own `SOURCES__*`/`CADENCE__*`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.config import HubSpotConfig, SalesforceConfig
from orchestration.settings import RunSettings, load_settings

SALESFORCE = {
    "login_url": "https://acme.my.salesforce.com", "client_id": "consumer-key",
    "username": "ops@acme.example", "ca_bundle": "/etc/acme/ca.pem", "api_version": "62.0",
    "task_key_field": "Nag_Key__c", "retry_base_seconds": 0.25,
}  # fmt: skip
SALESFORCE_SECRETS = {"client_secret": "sf-s3cret", "password": "pw-s3cret"}
HUBSPOT = {
    "base_url": "https://hubspot.proxy.acme.example", "ca_bundle": "/etc/acme/ca.pem",
    "task_key_property": "nag_key", "search_requests_per_second": 4.0, "requests_per_10_seconds": 190,
    "retry_base_seconds": 1.5, "client_id": None,
}  # fmt: skip
HUBSPOT_SECRETS = {"access_token": "pat-na1-s3cret"}
RUN = {
    "crms": ["salesforce", "hubspot"], "warehouse": "/data/cadence.duckdb", "max_tasks_per_run": 75,
    "lookback_seconds": 120.0, "api_budget_reserve": 0.35, "key_scan_days": 3.0,
}  # fmt: skip


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return str(value)


def toml(sections: dict[str, dict[str, Any]]) -> str:
    return "".join(
        f"[{name}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in values.items() if v is not None) + "\n"
        for name, values in sections.items()
    )


@pytest.fixture
def dlt_dir(tmp_path: Path) -> Path:
    directory = tmp_path / ".dlt"
    directory.mkdir()
    (directory / "config.toml").write_text(
        toml({"cadence": RUN, "sources.salesforce": SALESFORCE, "sources.hubspot": HUBSPOT}), encoding="utf-8"
    )
    (directory / "secrets.toml").write_text(
        toml({"sources.salesforce": SALESFORCE_SECRETS, "sources.hubspot": HUBSPOT_SECRETS}), encoding="utf-8"
    )
    return directory


def test_every_setting_comes_back_as_written(dlt_dir: Path) -> None:
    settings = load_settings(dlt_dir)
    assert settings.settings_dir == dlt_dir
    assert list(settings.crms) == RUN["crms"]  # dlt keeps the list as its JSON text; the audit reads it
    assert {name: getattr(settings.run, name) for name in RUN if name != "crms"} == {
        name: value for name, value in RUN.items() if name != "crms"
    }
    assert isinstance(settings.salesforce, SalesforceConfig) and isinstance(settings.hubspot, HubSpotConfig)
    assert dict(settings.salesforce) == {**SALESFORCE, **SALESFORCE_SECRETS}
    assert dict(settings.hubspot) == {
        **HUBSPOT, **HUBSPOT_SECRETS, "client_secret": None, "refresh_token": None,
    }  # fmt: skip
    assert not settings.hubspot.uses_oauth


def test_the_written_values_are_none_of_the_defaults() -> None:
    """Otherwise the round trip above could pass with a setting that is never read."""
    defaults = {**dict(SalesforceConfig()), **dict(RunSettings())}
    assert not [name for name, value in {**SALESFORCE, **RUN}.items() if defaults.get(name) == value]
    hubspot_defaults = dict(HubSpotConfig())
    set_values = {name: value for name, value in HUBSPOT.items() if value is not None}
    assert not [name for name, value in set_values.items() if hubspot_defaults[name] == value]


def test_env_vars_round_trip_too_and_win_over_the_files(
    dlt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CADENCE__CRMS", '["hubspot"]')  # a list in an env var is JSON
    monkeypatch.setenv("CADENCE__MAX_TASKS_PER_RUN", "12")
    monkeypatch.setenv("SOURCES__HUBSPOT__REQUESTS_PER_10_SECONDS", "100")
    settings = load_settings(dlt_dir)
    assert list(settings.crms) == ["hubspot"]
    assert settings.run.max_tasks_per_run == 12
    assert settings.hubspot is not None and settings.hubspot.requests_per_10_seconds == 100
    assert settings.hubspot.task_key_property == "nag_key"  # still from config.toml
