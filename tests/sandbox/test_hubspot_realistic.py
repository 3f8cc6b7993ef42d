"""The `realistic` profile's production behaviours, each on its own knob, over real HTTP on the sandbox
clock: search index lag, association changes that leave modstamps alone, contacts' unmaintained
hs_lastmodifieddate, rate limits, and the 90-day purge of archived records (plus GDPR delete)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from ingest.http import make_session
from ingest.sandbox import OrgFileError, OrgStore, RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.sandbox.hubspot_records import STAMP, hubspot_record

NOW = "2026-04-01T00:00:00+00:00"


def _portal(**behaviour: Any) -> dict[str, Any]:
    portal: dict[str, Any] = {
        "hubspot": {
            "companies": [hubspot_record("9001", name="Lakeside"), hubspot_record("9002", name="Northside")],
            "contacts": [
                hubspot_record("501", {"companies": ["9001"]}, firstname="Ada", email="ada@example.com")
            ],
        }
    }
    if behaviour:
        portal["hubspot"]["_behaviour"] = behaviour
    return portal


class Portal:
    """Plain-requests access to the HubSpot API and the control surface of one running sandbox."""

    def __init__(self, running: RunningSandbox) -> None:
        self.base = running.http_url
        self.session = make_session()
        self.session.headers["Authorization"] = f"Bearer {hubspot_config(running).access_token}"
        self.session.headers.update(running.control_headers())  # clock, behaviour, purge

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.session.request(method, self.base + path, json=body, params=params, timeout=30)

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.call(method, path, body, **params)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def clock(self, now: str) -> None:
        self.ok("POST", "/__sandbox/clock", {"now": now})

    def behave(self, **knobs: Any) -> dict[str, Any]:
        return self.ok("POST", "/__sandbox/hubspot/behaviour", knobs)

    def search_ids(self, object_type: str, name: str, operator: str, value: Any) -> list[str]:
        body = {"filterGroups": [{"filters": [{"propertyName": name, "operator": operator, "value": value}]}]}
        return [r["id"] for r in self.ok("POST", f"/crm/v3/objects/{object_type}/search", body)["results"]]


@pytest.fixture
def portal(start_sandbox: StartSandbox) -> Portal:
    api = Portal(start_sandbox(_portal()))
    api.clock(NOW)
    return api


def test_default_profile_is_realistic_and_naive_is_opt_in(portal: Portal) -> None:
    knobs = portal.ok("GET", "/__sandbox/hubspot/behaviour")
    assert (knobs["profile"], knobs["search_lag_seconds"], knobs["rate_limits"]) == ("realistic", 3.0, True)
    assert knobs["associations_touch_modstamp"] is False and knobs["archived_retention_days"] == 90
    naive = portal.behave(profile="naive")  # the sandbox's historic behaviour
    assert (naive["search_lag_seconds"], naive["rate_limits"], naive["archived_retention_days"]) == (
        0,
        False,
        None,
    )
    created = portal.ok("POST", "/crm/v3/objects/companies", {"properties": {"name": "Elm"}})
    assert portal.search_ids("companies", "name", "EQ", "Elm") == [created["id"]]


def test_search_sees_writes_only_after_the_index_lag(portal: Portal) -> None:
    portal.behave(search_lag_seconds=5)
    created = portal.ok("POST", "/crm/v3/objects/companies", {"properties": {"name": "Elm"}})
    portal.ok("PATCH", "/crm/v3/objects/companies/9002", {"properties": {"name": "Northside Kids"}})
    # Search answers from the index: the new record is absent, the updated one matches as it was.
    assert portal.search_ids("companies", "name", "EQ", "Elm") == []
    assert portal.search_ids("companies", "name", "EQ", "Northside Kids") == []
    body = {
        "filterGroups": [{"filters": [{"propertyName": "name", "operator": "EQ", "value": "Northside"}]}],
        "properties": ["name"],
    }
    stale = portal.ok("POST", "/crm/v3/objects/companies/search", body)
    assert [(r["id"], r["properties"]["name"]) for r in stale["results"]] == [("9002", "Northside")]
    # List, get and batch read answer from the store at once.
    assert portal.ok("GET", f"/crm/v3/objects/companies/{created['id']}")["properties"]["name"] == "Elm"
    assert [r["id"] for r in portal.ok("GET", "/crm/v3/objects/companies")["results"]] == [
        "9001",
        "9002",
        created["id"],
    ]
    portal.clock("2026-04-01T00:00:06+00:00")
    assert portal.search_ids("companies", "name", "EQ", "Elm") == [created["id"]]
    assert portal.search_ids("companies", "name", "EQ", "Northside Kids") == ["9002"]
    assert portal.search_ids("companies", "name", "EQ", "Northside") == []


def test_association_changes_leave_modstamps_alone(portal: Portal) -> None:
    portal.behave(associations_touch_modstamp=False)
    portal.ok("PUT", "/crm/v4/objects/contacts/501/associations/default/companies/9002")
    portal.ok("DELETE", "/crm/v4/objects/contacts/501/associations/companies/9001")
    for path in (
        "/crm/v3/objects/contacts/501",
        "/crm/v3/objects/companies/9001",
        "/crm/v3/objects/companies/9002",
    ):
        record = portal.ok("GET", path, properties="hs_lastmodifieddate")
        assert record["updatedAt"] == STAMP and record["properties"]["hs_lastmodifieddate"] == STAMP
    links = portal.ok("GET", "/crm/v4/objects/contacts/501/associations/companies")["results"]
    assert [link["toObjectId"] for link in links] == [9002]
    portal.behave(associations_touch_modstamp=True)  # the naive belief: both sides move
    portal.ok("PUT", "/crm/v3/objects/contacts/501/associations/companies/9001/279")
    assert portal.ok("GET", "/crm/v3/objects/companies/9001")["updatedAt"] > STAMP


def test_contacts_move_lastmodifieddate_not_hs_lastmodifieddate(portal: Portal) -> None:
    portal.behave(contacts_hs_lastmodifieddate_maintained=False)
    for title in ("Nurse", "Head nurse"):
        portal.ok("PATCH", "/crm/v3/objects/contacts/501", {"properties": {"jobtitle": title}})
    portal.clock("2026-04-01T00:00:06+00:00")  # past the realistic search lag (3 s)
    since = "2026-03-31T00:00:00.000Z"
    assert portal.search_ids("contacts", "lastmodifieddate", "GTE", since) == ["501"]
    assert portal.search_ids("contacts", "hs_lastmodifieddate", "GTE", since) == []  # "silently fails"
    contact = portal.ok(
        "GET", "/crm/v3/objects/contacts/501", properties="lastmodifieddate,hs_lastmodifieddate"
    )
    assert contact["properties"]["hs_lastmodifieddate"] == STAMP
    assert contact["properties"]["lastmodifieddate"] == contact["updatedAt"] > since


def test_six_searches_inside_one_second_get_one_secondly_429(portal: Portal) -> None:
    portal.behave(rate_limits=True)
    body = {"filterGroups": [{"filters": [{"propertyName": "name", "operator": "HAS_PROPERTY"}]}]}
    answers = [portal.call("POST", "/crm/v3/objects/companies/search", body) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    limited = answers[-1].json()
    assert (limited["policyName"], limited["errorType"], limited["status"]) == (
        "SECONDLY",
        "RATE_LIMIT",
        "error",
    )
    assert not any(name.lower().startswith("x-hubspot-ratelimit") for name in answers[0].headers)
    portal.clock("2026-04-01T00:00:01.500+00:00")
    assert portal.call("POST", "/crm/v3/objects/companies/search", body).status_code == 200


def test_other_endpoints_carry_rate_headers_and_a_ten_second_window(portal: Portal) -> None:
    portal.behave(rate_limits=True, per_ten_seconds=3, daily_limit=10)
    answers = [portal.call("GET", "/crm/v3/objects/companies") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    first = answers[0].headers
    assert (first["X-HubSpot-RateLimit-Max"], first["X-HubSpot-RateLimit-Remaining"]) == ("3", "2")
    assert first["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert (first["X-HubSpot-RateLimit-Daily"], first["X-HubSpot-RateLimit-Daily-Remaining"]) == ("10", "9")
    assert answers[3].json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_the_daily_allowance_runs_out(portal: Portal) -> None:
    portal.behave(rate_limits=True, daily_limit=2)
    statuses = [portal.call("GET", "/crm/v3/objects/companies/9001").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert portal.call("GET", "/crm/v3/objects/companies/9001").json()["policyName"] == "DAILY"
    portal.clock("2026-04-02T00:00:00+00:00")  # a new day
    assert portal.call("GET", "/crm/v3/objects/companies/9001").status_code == 200


def _archived_ids(portal: Portal, object_type: str) -> list[str]:
    return [r["id"] for r in portal.ok("GET", f"/crm/v3/objects/{object_type}", archived="true")["results"]]


def test_archived_records_are_purged_after_90_days(portal: Portal) -> None:
    portal.behave(archived_retention_days=90)
    assert portal.call("DELETE", "/crm/v3/objects/companies/9002").status_code == 204
    portal.clock("2026-06-29T00:00:00+00:00")  # 89 days later: still restorable
    assert _archived_ids(portal, "companies") == ["9002"]
    portal.clock("2026-07-01T00:00:00+00:00")  # 91 days later: gone for good
    assert _archived_ids(portal, "companies") == []
    assert portal.call("GET", "/crm/v3/objects/companies/9002", archived="true").status_code == 404


def test_gdpr_delete_and_control_purge_remove_records_for_good(portal: Portal) -> None:
    assert (
        portal.call(
            "POST",
            "/crm/v3/objects/contacts/gdpr-delete",
            {"objectId": "ada@example.com", "idProperty": "email"},
        ).status_code
        == 204
    )
    assert portal.call("GET", "/crm/v3/objects/contacts/501").status_code == 404
    assert _archived_ids(portal, "contacts") == []
    assert portal.ok("GET", "/crm/v4/objects/companies/9001/associations/contacts")["results"] == []
    portal.call("DELETE", "/crm/v3/objects/companies/9001")
    assert portal.ok("POST", "/__sandbox/hubspot/purge", {"objectType": "companies"}) == {"purged": 1}
    assert _archived_ids(portal, "companies") == []


def test_org_file_sets_the_profile_and_refuses_unknown_knobs(
    start_sandbox: StartSandbox, tmp_path: Any
) -> None:
    api = Portal(start_sandbox(_portal(profile="realistic", search_lag_seconds=1.5)))
    knobs = api.ok("GET", "/__sandbox/hubspot/behaviour")
    assert (knobs["profile"], knobs["search_lag_seconds"], knobs["rate_limits"]) == ("realistic", 1.5, True)
    assert knobs["archived_retention_days"] == 90 and knobs["associations_touch_modstamp"] is False
    with pytest.raises(OrgFileError, match=r"hubspot._behaviour: unknown HubSpot behaviour knobs \['lag'\]"):
        OrgStore(_portal(lag=3))
    assert api.call("POST", "/__sandbox/hubspot/behaviour", {"profile": "chaos"}).status_code == 400
