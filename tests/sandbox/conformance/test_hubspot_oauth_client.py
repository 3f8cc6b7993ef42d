"""HubSpot's OAuth refresh grant seen through hubspot-api-client the way its README uses it
(`oauth.tokens_api.create(grant_type="refresh_token", ...)`), and the token's 30-minute life."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hubspot import HubSpot
from hubspot.crm.companies import ApiException
from hubspot.oauth import ApiException as OAuthApiException

from tests.conftest import StartSandbox

ORG = {"hubspot": {"companies": [{"id": "101", "properties": {"name": "Mercy Hospital"}}]}}


def test_a_refreshed_token_reads_the_crm_until_it_expires(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(ORG)
    credentials = running.credentials
    tokens = HubSpot(host=running.http_url).oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id=credentials.hubspot_client_id,
        client_secret=credentials.hubspot_client_secret,
        refresh_token=credentials.hubspot_refresh_token,
    )
    assert tokens.token_type == "bearer" and tokens.expires_in == 1800
    assert tokens.refresh_token == credentials.hubspot_refresh_token
    client = HubSpot(access_token=tokens.access_token, host=running.http_url)
    assert [c.properties["name"] for c in client.crm.companies.basic_api.get_page().results] == [
        "Mercy Hospital"
    ]
    expired = running.sandbox.store.now() + timedelta(minutes=45)
    running.sandbox.store.set_clock(lambda: expired)
    with pytest.raises(ApiException) as raised:
        client.crm.companies.basic_api.get_page()
    assert raised.value.status == 401 and '"category":"EXPIRED_AUTHENTICATION"' in raised.value.body.replace(
        " ", ""
    )


def test_an_unknown_refresh_token_is_refused_with_hubspots_status(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(ORG)
    with pytest.raises(OAuthApiException) as raised:
        HubSpot(host=running.http_url).oauth.tokens_api.create(
            grant_type="refresh_token",
            client_id=running.credentials.hubspot_client_id,
            client_secret=running.credentials.hubspot_client_secret,
            refresh_token="not-a-refresh-token",
        )
    assert raised.value.status == 400 and '"status":"BAD_REFRESH_TOKEN"' in raised.value.body.replace(" ", "")
