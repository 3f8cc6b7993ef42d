"""`load_settings()`: one schema per CRM read by dlt's providers, typos and gaps refused in one line.

Each test writes its own `.dlt/` in tmp_path and sets `SOURCES__*` with monkeypatch (conftest clears the
machine's own), so nothing here reads the settings of the machine it runs on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import HubSpotConfig, SalesforceConfig
from ingest.errors import SettingsError
from orchestration.resources import HubSpotResource, SalesforceResource
from orchestration.settings import load_settings

SF_TOML = """
[sources.salesforce]
login_url = "https://acme.my.salesforce.com"
client_id = "consumer-key"
api_version = "62.0"
"""


@pytest.fixture
def dlt_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / ".dlt"
    directory.mkdir()
    return directory


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def _error(settings_dir: Path | None = None) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(settings_dir)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_toml_secrets_and_env_vars_meet_in_one_settings_object(
    dlt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(dlt_dir, "config.toml", SF_TOML)
    _write(dlt_dir, "secrets.toml", '[sources.salesforce]\nclient_secret = "s3cret"\n')
    monkeypatch.setenv("SOURCES__SALESFORCE__TASK_KEY_FIELD", "Nag_Key__c")
    monkeypatch.setenv("USERNAME", "a-shell-user")  # dlt would fall back to it for sources.salesforce
    settings = load_settings()
    assert list(settings.crms) == ["salesforce"]  # HubSpot has no key set: not audited
    assert dict(settings.crms["salesforce"]) == {
        "retry_base_seconds": 0.5,
        "login_url": "https://acme.my.salesforce.com",
        "client_id": "consumer-key",
        "client_secret": "s3cret",
        "username": None,
        "password": None,
        "ca_bundle": None,
        "api_version": "62.0",
        "task_key_field": "Nag_Key__c",
    }
    assert "s3cret" not in repr(settings.crms["salesforce"])
    assert (settings.run.warehouse, settings.run.max_tasks_per_run) == ("var/warehouse.duckdb", 500)


def test_env_vars_win_over_the_toml_files(dlt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(dlt_dir, "config.toml", SF_TOML + "\n[cadence]\nmax_tasks_per_run = 50\n")
    monkeypatch.setenv("SOURCES__SALESFORCE__CLIENT_SECRET", "s")
    monkeypatch.setenv("SOURCES__SALESFORCE__API_VERSION", "61.0")
    monkeypatch.setenv("CADENCE_WAREHOUSE", "legacy.duckdb")  # the older env name still works
    settings = load_settings()
    assert settings.crms["salesforce"].api_version == "61.0"
    assert (settings.run.warehouse, settings.run.max_tasks_per_run) == ("legacy.duckdb", 50)


def test_a_mistyped_env_var_is_named_with_the_intended_key(
    dlt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__SALESFORCE__LOGINURL", "https://acme.my.salesforce.com")
    assert _error() == (
        "SOURCES__SALESFORCE__LOGINURL is not a salesforce setting: "
        "did you mean SOURCES__SALESFORCE__LOGIN_URL?"
    )


def test_an_unknown_toml_key_is_named_with_its_file(dlt_dir: Path) -> None:
    _write(dlt_dir, "config.toml", '[sources.hubspot]\nbase_ulr = "https://api.hubapi.com"\n')
    assert _error() == (
        f"base_ulr in [sources.hubspot] of {dlt_dir}/config.toml is not a hubspot setting: "
        "did you mean base_url?"
    )


def test_a_mistyped_run_setting_is_refused(dlt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENCE__MAX_TASKS", "10")
    assert _error() == "CADENCE__MAX_TASKS is not a cadence setting: did you mean CADENCE__MAX_TASKS_PER_RUN?"


def test_a_crm_with_some_keys_names_the_missing_ones_and_where_they_were_looked_for(
    dlt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__SALESFORCE__LOGIN_URL", "https://acme.my.salesforce.com")
    assert _error() == (
        "salesforce is audited (some of its keys are set) but misses client_id, client_secret: looked in the "
        "env vars SOURCES__SALESFORCE__CLIENT_ID, SOURCES__SALESFORCE__CLIENT_SECRET, and under "
        f"[sources.salesforce] in {dlt_dir}/secrets.toml and config.toml "
        '(README, section "Pointing it at a real org")'
    )


def test_a_hubspot_public_app_is_set_by_its_three_oauth_keys_without_an_access_token(
    dlt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__CLIENT_ID", "app-1")
    monkeypatch.setenv("SOURCES__HUBSPOT__REFRESH_TOKEN", "refresh-1")
    assert _error() == (
        "hubspot is audited (some of its keys are set) but misses client_secret: looked in the env vars "
        f"SOURCES__HUBSPOT__CLIENT_SECRET, and under [sources.hubspot] in {dlt_dir}/secrets.toml and "
        'config.toml (README, section "Pointing it at a real org")'
    )
    _write(dlt_dir, "secrets.toml", '[sources.hubspot]\nclient_secret = "app-secret"\n')
    hubspot = load_settings().crms["hubspot"]
    assert isinstance(hubspot, HubSpotConfig) and hubspot.uses_oauth and hubspot.access_token is None
    assert (hubspot.client_id, hubspot.client_secret, hubspot.refresh_token) == (
        "app-1",
        "app-secret",
        "refresh-1",
    )


def test_a_listed_crm_without_any_key_fails(dlt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", "pat-1")
    monkeypatch.setenv("CADENCE__CRMS", "hubspot,salesforce")
    message = _error()
    assert message.startswith("salesforce is audited (it is listed in cadence.crms) but misses login_url, ")


def test_the_crms_listed_are_the_crms_audited(dlt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(dlt_dir, "config.toml", SF_TOML + '\n[cadence]\ncrms = ["hubspot"]\n')
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", "pat-1")
    assert list(load_settings().crms) == ["hubspot"]
    monkeypatch.setenv("CADENCE__CRMS", "hubspt")
    assert _error() == "cadence.crms lists 'hubspt', which is not a CRM: did you mean hubspot?"


def test_no_crm_at_all_points_at_the_readme_and_the_demo(dlt_dir: Path) -> None:
    assert _error() == (
        "no CRM is configured: set SOURCES__SALESFORCE__* or SOURCES__HUBSPOT__* "
        '(README, section "Pointing it at a real org"), '
        "or try the pipeline on the sandbox CRM with `cadence demo`"
    )


def test_a_secret_in_config_toml_is_refused(dlt_dir: Path) -> None:
    _write(dlt_dir, "config.toml", '[sources.hubspot]\naccess_token = "pat-1"\n')
    assert _error() == (
        "hubspot setting access_token is a secret: move it out of config.toml into secrets.toml "
        "or the env var SOURCES__HUBSPOT__ACCESS_TOKEN"
    )


# ---- one schema: the resources carry exactly the settings' fields --------------------------------
@pytest.mark.parametrize(
    ("resource", "config"), [(SalesforceResource, SalesforceConfig), (HubSpotResource, HubSpotConfig)]
)
def test_each_resource_has_exactly_the_fields_of_its_settings(resource: type, config: type) -> None:
    assert set(resource.model_fields) == {"audited", "settings_error", *config.setting_names()}


def test_a_resource_without_settings_audits_nothing_even_with_dlt_config(
    dlt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", "pat-production")
    _write(dlt_dir, "config.toml", SF_TOML)
    assert SalesforceResource().crm_config() is None
    assert HubSpotResource.from_config(None).crm_config() is None
