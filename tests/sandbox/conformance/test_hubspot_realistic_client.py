"""The `realistic` HubSpot behaviours seen through the real hubspot-api-client (the way its docs use
basic_api.update and search_api.do_search), not only through our own plain-requests calls."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.sandbox.test_hubspot_realistic import NOW, Portal, _portal

SINCE = "2026-03-31T00:00:00.000Z"


def _contact_ids_changed_since(client: HubSpot, property_name: str) -> list[str]:
    changed = Filter(property_name=property_name, operator="GTE", value=SINCE)
    request = PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[changed])])
    return [record.id for record in client.crm.contacts.search_api.do_search(request).results]


def test_contacts_updated_twice_are_found_by_lastmodifieddate_only(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(_portal(contacts_hs_lastmodifieddate_maintained=False))
    portal = Portal(running)
    portal.clock(NOW)
    config = hubspot_config(running)
    client = HubSpot(access_token=config.access_token, host=config.base_url)
    for title in ("Nurse", "Head nurse"):
        client.crm.contacts.basic_api.update("501", SimplePublicObjectInput(properties={"jobtitle": title}))
    portal.clock("2026-04-01T00:00:06+00:00")  # past the realistic search lag (3 s)
    assert _contact_ids_changed_since(client, "lastmodifieddate") == ["501"]
    assert _contact_ids_changed_since(client, "hs_lastmodifieddate") == []


def test_a_new_contact_reaches_search_only_after_the_index_lag(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(_portal(search_lag_seconds=5))
    portal = Portal(running)
    portal.clock(NOW)
    config = hubspot_config(running)
    client = HubSpot(access_token=config.access_token, host=config.base_url)
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "bo@example.com"})
    )
    assert client.crm.contacts.basic_api.get_by_id(created.id).id == created.id  # get sees it at once
    assert _contact_ids_changed_since(client, "lastmodifieddate") == []
    portal.clock("2026-04-01T00:00:06+00:00")
    assert _contact_ids_changed_since(client, "lastmodifieddate") == [created.id]
