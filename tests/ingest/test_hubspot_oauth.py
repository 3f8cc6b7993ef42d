"""HubSpot public apps: OAuth access tokens expire after 30 minutes and are refreshed, once, on a 401;
a private-app token that gets a 401 still fails fast (it never expires, so the token is wrong).

Against the sandbox's token endpoint over real HTTP; expiry by moving the sandbox clock 31 minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests

from ingest.config import HubSpotConfig
from ingest.errors import CrmAuthError
from ingest.hubspot import HubSpotClient, sync_hubspot
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox

ORG = {
    "hubspot": {
        "_behaviour": {"profile": "realistic"},
        "companies": [
            {
                "id": "101",
                "properties": {"name": "Mercy Hospital", "hs_lastmodifieddate": "2026-01-05T09:00:00Z"},
            },
            {
                "id": "102",
                "properties": {"name": "Oak Clinic", "hs_lastmodifieddate": "2026-01-05T09:00:00Z"},
            },
        ],
    }
}


def _token_calls(running: RunningSandbox) -> int:
    return running.sandbox.counters["hubspot.oauth_token"]


def _move_clock(running: RunningSandbox, by: timedelta) -> Callable[[], datetime]:
    moved = running.sandbox.store.now() + by
    running.sandbox.store.set_clock(lambda: moved)
    return lambda: moved


def test_an_oauth_app_gets_its_first_token_from_the_refresh_grant_and_syncs(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(ORG)
    config = hubspot_config(running, oauth=True)
    assert config.access_token is None and config.missing() == []
    warehouse = tmp_path / "wh.duckdb"
    sync_hubspot(config, warehouse, objects=["companies"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            row[0] for row in con.execute("select name from raw_hubspot.companies order by id").fetchall()
        ]
    assert names == ["Mercy Hospital", "Oak Clinic"]
    assert _token_calls(running) == 1  # one token for the whole sync, not one per call


def test_an_expired_access_token_is_refreshed_once_and_the_call_sent_again(
    start_sandbox: StartSandbox,
) -> None:
    running = start_sandbox(ORG)
    client = HubSpotClient(hubspot_config(running, oauth=True), retry_base_seconds=0.01)
    try:
        assert "name" in client.property_names("companies")
        first = client.oauth.token if client.oauth else None
        _move_clock(running, timedelta(minutes=31))
        # The old token is now refused by the portal, in HubSpot's words ...
        answer = requests.get(
            running.http_url + "/crm/v3/objects/companies",
            headers={"Authorization": f"Bearer {first}"},
            timeout=10,
        )
        assert answer.status_code == 401
        assert answer.json()["category"] == "EXPIRED_AUTHENTICATION"
        assert answer.json()["message"] == "The OAuth token used to make this call expired 1 minute(s) ago."
        # ... and the client refreshes once, then the same call succeeds.
        before = running.sandbox.counters["hubspot.total"]
        assert "name" in client.property_names("companies")
        assert client.oauth is not None and client.oauth.refreshes == 2 and client.oauth.token != first
        assert _token_calls(running) == 2
        assert running.sandbox.counters["hubspot.total"] - before == 3  # 401, token, the call again
    finally:
        client.close()


def test_a_wrong_refresh_token_is_one_line_naming_the_settings_without_the_secret(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(ORG)
    wrong = "refresh-token-of-an-uninstalled-app"
    with pytest.raises(CrmAuthError) as raised:
        sync_hubspot(hubspot_config(running, oauth=True, refresh_token=wrong), tmp_path / "wh.duckdb")
    message = str(raised.value)
    assert message == (
        "HubSpot refused the OAuth refresh (BAD_REFRESH_TOKEN: missing or unknown refresh token): check "
        "SOURCES__HUBSPOT__CLIENT_ID / CLIENT_SECRET / REFRESH_TOKEN (a refresh token dies when the app is "
        "uninstalled: reinstall it for a new one)"
    )
    assert wrong not in message and running.credentials.hubspot_client_secret not in message
    assert not (tmp_path / "wh.duckdb").exists() or _companies(tmp_path / "wh.duckdb") == 0


def test_a_private_app_token_is_never_refreshed(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(ORG)
    client = HubSpotClient(hubspot_config(running, access_token="pat-na1-revoked"), retry_base_seconds=0.01)
    try:
        with pytest.raises(CrmAuthError, match="SOURCES__HUBSPOT__ACCESS_TOKEN"):
            client.property_names("companies")
    finally:
        client.close()
    assert _token_calls(running) == 0 and running.sandbox.counters["hubspot.total"] == 1


def test_oauth_settings_need_all_three_keys_and_no_access_token() -> None:
    assert HubSpotConfig().missing() == ["access_token"]
    assert HubSpotConfig(refresh_token="r").missing() == ["client_id", "client_secret"]
    assert HubSpotConfig(client_id="c", client_secret="s", refresh_token="r").missing() == []
    assert "refresh_token" in HubSpotConfig.secret_names() and "client_secret" in HubSpotConfig.secret_names()


def _companies(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select count(*) from information_schema.tables where table_name = 'companies'")
        if not tables.fetchone()[0]:
            return 0
        return con.execute("select count(*) from raw_hubspot.companies").fetchone()[0]
