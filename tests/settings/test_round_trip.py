"""Every setting survives settings → Dagster resource → client → CRM, and no secret reaches Dagster's storage.

Real sandbox over HTTPS/HTTP, real clients, a real Dagster instance on disk. The settings come from env
vars set here (conftest clears the machine's own) and an empty `.dlt/` in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._serdes import serialize_value

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.definitions import code_location_definitions
from orchestration.resources import HubSpotResource, SalesforceResource
from orchestration.settings import load_settings
from tests.conftest import StartSandbox
from tests.orchestration.harness import pipeline_tasks
from tests.orchestration.org import AS_OF, EXPECTED_TASKS, hand_made_org

SF_KEY_FIELD, HS_KEY_PROPERTY = "Nag_Key__c", "nag_key"  # not the defaults: they must not revert


@pytest.fixture
def sandbox(start_sandbox: StartSandbox) -> RunningSandbox:
    org = hand_made_org()
    org["salesforce"]["custom_fields"] = {"Task": {SF_KEY_FIELD: "string"}}
    org["hubspot"]["custom_properties"]["tasks"] = [HS_KEY_PROPERTY]
    return start_sandbox(org)


@pytest.fixture
def settings_env(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every CRM setting set to a value that is not its default, as `cadence run` would read them."""
    sf, hs, credentials = salesforce_config(sandbox), hubspot_config(sandbox), sandbox.credentials
    env = {
        "SOURCES__SALESFORCE__LOGIN_URL": sf.login_url,
        "SOURCES__SALESFORCE__CLIENT_ID": sf.client_id,
        "SOURCES__SALESFORCE__CLIENT_SECRET": sf.client_secret,
        "SOURCES__SALESFORCE__USERNAME": credentials.salesforce_username,  # the password grant
        "SOURCES__SALESFORCE__PASSWORD": credentials.salesforce_password,
        "SOURCES__SALESFORCE__CA_BUNDLE": str(sf.ca_bundle),
        "SOURCES__SALESFORCE__API_VERSION": "62.0",
        "SOURCES__SALESFORCE__TASK_KEY_FIELD": SF_KEY_FIELD,
        "SOURCES__SALESFORCE__RETRY_BASE_SECONDS": "0.01",
        "SOURCES__HUBSPOT__ACCESS_TOKEN": hs.access_token,
        "SOURCES__HUBSPOT__BASE_URL": hs.base_url,
        "SOURCES__HUBSPOT__CA_BUNDLE": str(sf.ca_bundle),
        "SOURCES__HUBSPOT__TASK_KEY_PROPERTY": HS_KEY_PROPERTY,
        "SOURCES__HUBSPOT__RETRY_BASE_SECONDS": "0.02",
        "SOURCES__HUBSPOT__SEARCH_REQUESTS_PER_SECOND": "4",
        "SOURCES__HUBSPOT__REQUESTS_PER_10_SECONDS": "190",
        "CADENCE__WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "CADENCE__LOOKBACK_SECONDS": "120",
        "CADENCE__API_BUDGET_RESERVE": "0.5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".dlt").mkdir()
    return env


def _as_settings(env: dict[str, str], crm: str) -> dict[str, Any]:
    prefix = f"SOURCES__{crm.upper()}__"
    values: dict[str, Any] = {
        k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)
    }
    values["retry_base_seconds"] = float(values["retry_base_seconds"])
    if crm == "hubspot":
        values |= dict.fromkeys(("client_id", "client_secret", "refresh_token"))  # a private app: no OAuth
        values["search_requests_per_second"] = float(values["search_requests_per_second"])
        values["requests_per_10_seconds"] = int(values["requests_per_10_seconds"])
    return values


@pytest.mark.parametrize("secrets_from_env", [False, True], ids=["cadence-run", "code-location"])
def test_every_setting_reaches_the_clients(settings_env: dict[str, str], secrets_from_env: bool) -> None:
    settings = load_settings()
    salesforce = SalesforceResource.from_config(settings.salesforce, secrets_from_env=secrets_from_env)
    hubspot = HubSpotResource.from_config(settings.hubspot, secrets_from_env=secrets_from_env)
    # Dagster resolves the resource (and its EnvVars) as a run would.
    sf_config = salesforce.process_config_and_initialize().crm_config()
    hs_config = hubspot.process_config_and_initialize().crm_config()
    assert dict(sf_config) == _as_settings(settings_env, "salesforce")
    assert dict(hs_config) == _as_settings(settings_env, "hubspot")

    client = connect(sf_config)  # logs in with the password grant
    assert (client.sf.sf_version, client.retry.base_seconds) == ("62.0", 0.01)
    assert "/services/data/v62.0/" in client.sf.base_url
    assert client.session.verify == settings_env["SOURCES__SALESFORCE__CA_BUNDLE"]
    api = HubSpotClient(hs_config)
    assert (api.base_url, api.retry_base_seconds) == (settings_env["SOURCES__HUBSPOT__BASE_URL"], 0.02)
    assert {kind: bucket.rate for kind, bucket in api.rate_limits.items()} == {
        "search": 4.0,
        "standard": 19.0,
    }
    audit = code_location_definitions().resources["audit"]
    assert (audit.lookback_seconds, audit.api_budget_reserve) == (120.0, 0.5)


def _stored_text(instance: dg.DagsterInstance, run_id: str, storage: Path) -> str:
    """What Dagster keeps of a run: its record and config, job snapshot, event log, and every file."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    parts = [serialize_value(run), str(run.run_config)]
    parts.append(serialize_value(instance.get_job_snapshot(run.job_snapshot_id)))  # type: ignore[arg-type]
    parts += [serialize_value(entry) for entry in instance.all_logs(run_id)]
    parts += [p.read_bytes().decode("utf-8", "replace") for p in storage.rglob("*") if p.is_file()]
    return "\n".join(parts)


def test_the_code_location_runs_on_the_settings_and_stores_no_secret(
    sandbox: RunningSandbox, settings_env: dict[str, str], tmp_path: Path
) -> None:
    defs = code_location_definitions()
    job = defs.resolve_job_def("nightly_cadence_audit")
    storage = tmp_path / "dagster-home"
    storage.mkdir()
    # The as-of date is what a launchpad user would type; the secrets stay env vars.
    run_config = {"resources": {"audit": {"config": {"as_of": AS_OF.isoformat()}}}}
    with dg.DagsterInstance.local_temp(str(storage)) as instance:
        result = job.execute_in_process(instance=instance, run_config=run_config)
        assert result.success
        stored = _stored_text(instance, result.run_id, storage)

    # The tasks carry their key in the configured field/property, not the default one.
    sf_tasks = pipeline_tasks(sandbox, "salesforce")
    assert len(sf_tasks) == len(EXPECTED_TASKS) and all(task.get(SF_KEY_FIELD) for task in sf_tasks)
    hs_tasks = pipeline_tasks(sandbox, "hubspot")
    assert len(hs_tasks) == len(EXPECTED_TASKS)
    assert all(task["properties"].get(HS_KEY_PROPERTY) for task in hs_tasks)

    assert "SOURCES__SALESFORCE__CLIENT_SECRET" in stored  # the variable's name is what Dagster keeps
    for name in (
        "SOURCES__SALESFORCE__CLIENT_SECRET",
        "SOURCES__SALESFORCE__PASSWORD",
        "SOURCES__HUBSPOT__ACCESS_TOKEN",
    ):
        assert settings_env[name] not in stored, name
