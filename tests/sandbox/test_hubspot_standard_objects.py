"""Standard objects and read features a real portal has that dlt's verified HubSpot source reads:
tickets/products/quotes, deal pipelines and stage calculated properties, propertiesWithHistory, events."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.http import make_session
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox

CREATED = "2026-01-05T09:00:00.000Z"
MODIFIED = "2026-02-01T10:00:00.000Z"


@pytest.fixture
def get(start_sandbox: StartSandbox) -> Any:
    deal = {
        "id": "601",
        "properties": {"dealname": "Referral", "dealstage": "qualifiedtobuy", "createdate": CREATED},
        "createdAt": CREATED,
        "updatedAt": MODIFIED,
    }
    running: RunningSandbox = start_sandbox({"hubspot": {"deals": [deal], "companies": []}})
    session = make_session()
    session.headers["Authorization"] = f"Bearer {hubspot_config(running).access_token}"
    session.headers.update(running.control_headers())  # the clock below is a control call

    def call(method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = session.request(method, running.http_url + path, json=body, params=params, timeout=30)
        assert response.status_code < 300, response.text
        return response.json()

    return call


@pytest.mark.parametrize(
    ("object_type", "property_name"),
    [("tickets", "hs_pipeline_stage"), ("products", "price"), ("quotes", "hs_status")],
)
def test_every_standard_object_lists_and_describes(get: Any, object_type: str, property_name: str) -> None:
    assert get("GET", f"/crm/v3/objects/{object_type}") == {"results": []}
    assert get("GET", f"/crm/v3/objects/{object_type}", archived="true") == {"results": []}
    names = {p["name"] for p in get("GET", f"/crm/v3/properties/{object_type}")["results"]}
    assert {property_name, "hs_object_id", "hs_lastmodifieddate"} <= names


def test_deals_are_in_the_default_pipeline_with_stage_dates(get: Any) -> None:
    deal = get("GET", "/crm/v3/objects/deals/601", properties="pipeline,hs_v2_date_entered_qualifiedtobuy")
    assert deal["properties"]["pipeline"] == "default"
    assert deal["properties"]["hs_v2_date_entered_qualifiedtobuy"] == CREATED
    get("POST", "/__sandbox/clock", {"now": "2026-03-01T00:00:00+00:00"})
    moved = get("PATCH", "/crm/v3/objects/deals/601", {"properties": {"dealstage": "closedwon"}})
    assert moved["properties"]["hs_v2_date_entered_closedwon"] == "2026-03-01T00:00:00.000Z"
    assert moved["properties"]["hs_v2_date_exited_qualifiedtobuy"] == "2026-03-01T00:00:00.000Z"
    stage_names = {p["name"] for p in get("GET", "/crm/v3/properties/deals")["results"]}
    assert {"hs_v2_date_entered_closedlost", "hs_v2_date_exited_appointmentscheduled"} <= stage_names
    ticket = get(
        "POST", "/crm/v3/objects/tickets", {"properties": {"subject": "Broken", "hs_pipeline_stage": "1"}}
    )
    assert ticket["properties"]["hs_pipeline"] == "0"


def test_properties_with_history_has_the_current_value(get: Any) -> None:
    page = get("GET", "/crm/v3/objects/deals", limit=100, propertiesWithHistory="dealname,amount")
    history = page["results"][0]["propertiesWithHistory"]
    assert history == {
        "dealname": [{"value": "Referral", "timestamp": MODIFIED, "sourceType": "API", "sourceId": None}],
        "amount": [],
    }


def test_events_answer_an_empty_page(get: Any) -> None:
    assert get("GET", "/events/v3/events", objectType="contact", objectId="1") == {"results": []}


def test_account_details_name_the_portal_and_its_ui_domain(get: Any) -> None:
    details = get("GET", "/account-info/v3/details")
    assert (details["portalId"], details["uiDomain"], details["accountType"]) == (
        24_681_357, "app.hubspot.com", "STANDARD"
    )
    documented = {"portalId", "accountType", "timeZone", "companyCurrency", "additionalCurrencies",
                  "utcOffset", "utcOffsetMilliseconds", "uiDomain", "dataHostingLocation"}  # fmt: skip
    assert set(details) == documented


def test_unmodelled_objects_and_endpoints_answer_hubspots_400(start_sandbox: StartSandbox) -> None:
    running = start_sandbox({"hubspot": {"companies": []}})
    session = make_session()
    session.headers["Authorization"] = f"Bearer {hubspot_config(running).access_token}"
    cases = {
        ("GET", "/crm/v3/objects/line_items"): "The sandbox does not model line_items; it serves companies",
        ("GET", "/crm/v3/properties/calls"): "The sandbox does not model calls; it serves companies",
        (
            "POST",
            "/crm/v3/objects/companies/merge",
        ): "The sandbox does not model POST /crm/v3/objects/companies/merge",
        ("GET", "/crm/v3/objects/widgets"): "Unable to infer object type from: widgets",
    }
    for (method, path), message in cases.items():
        answer = session.request(method, running.http_url + path, json={}, timeout=30)
        assert answer.status_code == 400, (path, answer.text)
        body = answer.json()
        assert body["category"] == "VALIDATION_ERROR" and body["message"].startswith(message)
