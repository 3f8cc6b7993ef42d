"""The sandbox's HubSpot API over real HTTP, with plain requests and the real hubspot-api-client."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.companies import Filter, FilterGroup, PublicObjectSearchRequest
from hubspot.crm.companies.exceptions import ApiException
from hubspot.crm.objects.tasks import (
    AssociationSpec,
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectBatchInputForCreate,
)

from ingest.http import make_session
from ingest.hubspot.helpers import endpoint_class, rate_limiter
from ingest.sandbox import Fault, OrgStore, RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag, start_clock_at


def _company(
    company_id: str, name: str, stage: str, created: str, modified: str, **extra: str
) -> dict[str, Any]:
    properties = {
        "name": name,
        "lifecyclestage": stage,
        "createdate": created,
        "hs_lastmodifieddate": modified,
    }
    return {
        "id": company_id,
        "properties": {**properties, **extra},
        "createdAt": created,
        "updatedAt": modified,
        "archived": False,
    }


def _engagement(record_id: str, company_ids: list[str], **properties: str) -> dict[str, Any]:
    stamp = "2026-03-01T15:00:00.000Z"
    return {
        "id": record_id,
        "properties": {"hs_createdate": stamp, "hs_lastmodifieddate": stamp, **properties},
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "associations": {"companies": company_ids} if company_ids else {},
    }


def _portal() -> dict[str, Any]:
    """Five live companies (ids chosen so numeric and string order differ) and one archived."""
    archived = _company("9004", "Closed Clinic", "other", "2025-10-01T00:00:00Z", "2026-02-20T00:00:00Z")
    archived["archived"] = True
    return {
        "hubspot": {
            "owners": [
                {"id": "101", "email": "sam@example.com", "firstName": "Sam", "lastName": "Ortiz"},
                {
                    "id": "102",
                    "email": "lee@example.com",
                    "firstName": "Lee",
                    "lastName": "Park",
                    "archived": True,
                },
                {"id": "103", "email": "ana@example.com", "firstName": "Ana", "lastName": "Diaz"},
            ],
            "companies": [
                _company(
                    "9001",
                    "Lakeside Family Practice",
                    "customer",
                    "2025-11-01T00:00:00Z",
                    "2026-03-02T10:00:00Z",
                    visit_cadence_days="45",
                    hubspot_owner_id="101",
                ),
                _company(
                    "9002", "Northside Pediatrics", "lead", "2025-12-01T00:00:00Z", "2026-03-01T00:00:00Z"
                ),
                _company(
                    "9003",
                    "Oak Clinic",
                    "customer",
                    "2026-01-10T00:00:00Z",
                    "2026-03-03T00:00:00Z",
                    visit_cadence_days="30",
                ),
                _company(
                    "9010", "Pine Street Ortho", "opportunity", "2026-02-01T00:00:00Z", "2026-03-02T10:00:00Z"
                ),
                _company("950", "Elm Dental", "lead", "2025-09-01T00:00:00Z", "2026-02-15T00:00:00Z"),
                archived,
            ],
            "meetings": [
                _engagement("7001", ["9001"], hs_meeting_title="Lunch-and-learn"),
                _engagement("7002", ["9001", "9003"], hs_meeting_title="Joint review"),
                _engagement("7003", [], hs_meeting_title="No company"),
            ],
            "tasks": [
                _engagement("8001", ["9002"], hs_task_subject="Call back", hs_task_status="NOT_STARTED")
            ],
            "custom_properties": {"tasks": ["cadence_task_key"], "companies": ["visit_cadence_days"]},
        }
    }


class Api:
    """Plain-requests access to a running sandbox's HubSpot API."""

    def __init__(self, running: RunningSandbox, token: str | None = None) -> None:
        self.base = running.http_url
        config = hubspot_config(running)
        # Paced like the pipeline's client: searches 5 a second, or the realistic portal answers 429.
        self.session = make_session(buckets=rate_limiter(config), endpoint_class=endpoint_class)
        self.session.headers["Authorization"] = f"Bearer {token or config.access_token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=30)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=30)

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(f"/crm/v3/objects/{object_type}/search", body)
        assert response.status_code == 200, response.text
        return response.json()

    def search_ids(self, object_type: str, *filters: dict[str, Any], groups: list | None = None) -> list[str]:
        body = {"filterGroups": groups or [{"filters": list(filters)}], "limit": 200}
        return [r["id"] for r in self.search(object_type, body)["results"]]


# The portal's "today": its archived company (Feb 20) is inside the 90 days a deleted record can be
# restored (the realistic profile purges it after). The fixture starts the sandbox clock here, running.
PORTAL_TODAY = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def portal(start_sandbox: StartSandbox) -> RunningSandbox:
    running = start_sandbox(_portal())
    start_clock_at(running, PORTAL_TODAY)
    return running


@pytest.fixture
def api(portal: RunningSandbox) -> Api:
    return Api(portal)


def _client(running: RunningSandbox) -> HubSpot:
    config = hubspot_config(running)
    return HubSpot(access_token=config.access_token, host=config.base_url)


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).astimezone(UTC).timestamp() * 1000)


# ---- list / get --------------------------------------------------------------------------------


def test_list_pages_by_id_with_requested_properties(api: Api) -> None:
    pages, after = [], None
    while True:
        body = api.get(
            "/crm/v3/objects/companies", limit=2, properties="name", **({"after": after} if after else {})
        )
        assert body.status_code == 200
        page = body.json()
        pages.append([r["id"] for r in page["results"]])
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
        assert f"after={after}" in page["paging"]["next"]["link"]
    assert pages == [["950", "9001"], ["9002", "9003"], ["9010"]]  # numeric id order, archived left out
    first = api.get("/crm/v3/objects/companies", limit=1, properties="name").json()["results"][0]
    assert first["properties"] == {
        "name": "Elm Dental",
        "createdate": "2025-09-01T00:00:00Z",
        "hs_lastmodifieddate": "2026-02-15T00:00:00Z",
        "hs_object_id": "950",
    }
    assert first["archived"] is False


def test_list_archived_returns_only_archived_records(api: Api) -> None:
    page = api.get("/crm/v3/objects/companies", archived="true").json()
    assert [(r["id"], r["archived"]) for r in page["results"]] == [("9004", True)]
    assert api.get("/crm/v3/objects/companies/9004").status_code == 404
    assert (
        api.get("/crm/v3/objects/companies/9004", archived="true").json()["properties"]["name"]
        == "Closed Clinic"
    )


def test_list_with_company_associations(api: Api) -> None:
    results = api.get("/crm/v3/objects/meetings", associations="companies").json()["results"]
    by_id = {r["id"]: r.get("associations") for r in results}
    assert by_id["7001"] == {"companies": {"results": [{"id": "9001", "type": "meeting_to_company"}]}}
    assert [a["id"] for a in by_id["7002"]["companies"]["results"]] == ["9001", "9003"]
    assert by_id["7003"] is None


def test_real_client_pages_companies(portal: RunningSandbox) -> None:
    client = _client(portal)
    page = client.crm.companies.basic_api.get_page(limit=2, properties=["name", "visit_cadence_days"])
    assert [c.id for c in page.results] == ["950", "9001"]
    assert page.results[1].properties["visit_cadence_days"] == "45"
    assert page.results[0].properties["visit_cadence_days"] is None  # requested but unset -> null
    assert page.paging.next.after == "9002"
    company = client.crm.companies.basic_api.get_by_id("9003", properties=["name"])
    assert company.properties["name"] == "Oak Clinic"


# ---- search ------------------------------------------------------------------------------------


def test_search_datetime_filters_accept_iso_and_epoch_millis(api: Api) -> None:
    modified_after = {"propertyName": "hs_lastmodifieddate", "operator": "GT"}
    by_iso = api.search_ids("companies", {**modified_after, "value": "2026-03-01T00:00:00Z"})
    by_millis = api.search_ids("companies", {**modified_after, "value": _millis("2026-03-01T00:00:00+00:00")})
    assert by_iso == by_millis == ["9001", "9003", "9010"]  # 9002 is exactly on the bound
    between = {"propertyName": "createdate", "operator": "BETWEEN"}
    created = api.search_ids(
        "companies", {**between, "value": "2025-12-01T00:00:00Z", "highValue": "2026-01-31"}
    )
    assert created == ["9002", "9003"]  # inclusive low bound


def test_search_in_has_property_numbers_and_or_groups(api: Api) -> None:
    stage_in = {"propertyName": "lifecyclestage", "operator": "IN", "values": ["customer", "OPPORTUNITY"]}
    assert api.search_ids("companies", stage_in) == ["9001", "9003", "9010"]
    has_cadence = {"propertyName": "visit_cadence_days", "operator": "HAS_PROPERTY"}
    assert api.search_ids("companies", has_cadence) == ["9001", "9003"]
    lacks_cadence = {"propertyName": "visit_cadence_days", "operator": "NOT_HAS_PROPERTY"}
    assert api.search_ids("companies", lacks_cadence) == ["950", "9002", "9010"]  # never the archived 9004
    # Numbers compare as numbers: "45" > "100" as text, not as a number; "950" < "1000" likewise.
    assert (
        api.search_ids("companies", {"propertyName": "visit_cadence_days", "operator": "GT", "value": "100"})
        == []
    )
    big_ids = {"propertyName": "hs_object_id", "operator": "GTE", "value": 1000}
    assert api.search_ids("companies", big_ids) == ["9001", "9002", "9003", "9010"]
    groups = [
        {"filters": [{"propertyName": "name", "operator": "EQ", "value": "oak clinic"}]},
        {
            "filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": "2026-03-01T00:00:00Z"}
            ]
        },
    ]
    assert api.search_ids("companies", groups=groups) == ["950", "9003"]


def test_search_sort_breaks_ties_by_id_across_pages(api: Api) -> None:
    def all_pages(direction: str) -> list[list[str]]:
        body: dict[str, Any] = {
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": direction}],
            "limit": 2,
        }
        pages = []
        while True:
            page = api.search("companies", body)
            assert page["total"] == 5
            pages.append([r["id"] for r in page["results"]])
            if "paging" not in page:
                return pages
            body["after"] = page["paging"]["next"]["after"]

    # 9001 and 9010 share a modstamp: id order decides, in both directions.
    assert all_pages("ASCENDING") == [["950", "9002"], ["9001", "9010"], ["9003"]]
    assert all_pages("DESCENDING") == [["9003", "9001"], ["9010", "9002"], ["950"]]


def test_search_rejects_what_it_cannot_answer(api: Api) -> None:
    too_big = api.post("/crm/v3/objects/companies/search", {"limit": 201})
    two_sorts = api.post("/crm/v3/objects/companies/search", {"sorts": ["name", "createdate"]})
    bad_operator = api.post(
        "/crm/v3/objects/companies/search",
        {
            "filterGroups": [
                {"filters": [{"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "x"}]}
            ]
        },
    )
    for response in (too_big, two_sorts, bad_operator):
        assert response.status_code == 400
        assert response.json()["category"] == "VALIDATION_ERROR"


def test_real_client_search(portal: RunningSandbox) -> None:
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(property_name="hs_lastmodifieddate", operator="GTE", value="2026-03-02T10:00:00Z")
                ]
            )
        ],
        sorts=["-hs_lastmodifieddate"],
        properties=["name"],
        limit=2,
    )
    result = _client(portal).crm.companies.search_api.do_search(public_object_search_request=request)
    assert result.total == 3
    assert [c.id for c in result.results] == ["9003", "9001"]
    assert result.results[0].properties["name"] == "Oak Clinic"
    assert result.paging.next.after == "2"


def test_search_stops_at_the_10000_result_cap(start_sandbox: StartSandbox) -> None:
    companies = [
        _company(
            str(100 + n), f"Practice {n}", "lead", "2025-01-01T00:00:00Z", f"2026-01-01T00:00:{n % 60:02d}Z"
        )
        for n in range(10_050)
    ]
    api = Api(start_sandbox({"hubspot": {"companies": companies}}))
    body = {"sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}], "limit": 200}
    first = api.search("companies", body)
    assert first["total"] == 10_050
    last_allowed = api.search("companies", {**body, "after": "9800"})
    assert len(last_allowed["results"]) == 200
    assert last_allowed["paging"]["next"]["after"] == "10000"  # HubSpot offers it; following it fails
    beyond = api.post("/crm/v3/objects/companies/search", {**body, "after": "9900"})
    assert beyond.status_code == 400
    error = beyond.json()
    assert error["status"] == "error" and error["category"] == "VALIDATION_ERROR"
    assert "10000" in error["message"] and error["correlationId"]


# ---- batch writes ------------------------------------------------------------------------------


def test_real_client_batch_creates_task_associated_to_company(portal: RunningSandbox, tmp_path: Path) -> None:
    client = _client(portal)
    task = SimplePublicObjectBatchInputForCreate(
        properties={
            "hs_task_subject": "Visit Lakeside",
            "hs_timestamp": _millis("2026-04-01T09:00:00+00:00"),
            "cadence_task_key": "hubspot:9001:2026-04-01",
        },
        associations=[
            PublicAssociationsForObject(
                to=PublicObjectId(id="9001"), types=[AssociationSpec("HUBSPOT_DEFINED", 192)]
            )
        ],
    )
    created = client.crm.objects.tasks.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=[task])
    )
    assert created.status == "COMPLETE"
    [record] = created.results
    assert record.properties["hs_timestamp"] == "2026-04-01T09:00:00.000Z"  # epoch ms in, ISO out
    assert record.properties["hs_object_id"] == record.id
    assert record.properties["hs_lastmodifieddate"] == record.properties["hs_createdate"]
    assert record.created_at == record.updated_at
    on_disk = OrgStore.load(tmp_path / "org.json").hubspot["tasks"][record.id]
    assert on_disk["associations"] == {"companies": ["9001"]}
    links = client.crm.associations.v4.batch_api.get_page(
        "tasks",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=record.id)]
        ),
    )
    assert [(t.to_object_id, t.association_types[0].type_id) for t in links.results[0].to] == [("9001", 192)]


def test_batch_create_reports_failing_inputs_with_207(portal: RunningSandbox, api: Api) -> None:
    inputs = [
        {"properties": {"hs_task_subject": "ok"}, "objectWriteTraceId": "a"},
        {"properties": {"hs_task_subject": "bad", "no_such_prop": "x"}, "objectWriteTraceId": "b"},
        {"properties": {"hs_task_subject": "ok too"}, "objectWriteTraceId": "c"},
    ]
    response = api.post("/crm/v3/objects/tasks/batch/create", {"inputs": inputs})
    assert response.status_code == 207
    body = response.json()
    assert [r["properties"]["hs_task_subject"] for r in body["results"]] == ["ok", "ok too"]
    assert body["numErrors"] == 1
    [error] = body["errors"]
    assert error["category"] == "VALIDATION_ERROR"
    assert error["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert error["context"] == {"propertyName": ["no_such_prop"], "objectWriteTraceId": ["b"]}
    assert len(portal.store.hubspot["tasks"]) == 3  # 8001 plus the two good inputs
    # The portal has no cadence_task_key on contacts: writing it there fails the same way.
    contact = api.post(
        "/crm/v3/objects/contacts/batch/create", {"inputs": [{"properties": {"cadence_task_key": "k"}}]}
    )
    assert (
        contact.status_code == 207
        and contact.json()["errors"][0]["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    )


def test_batch_update_with_injected_record_failure(portal: RunningSandbox, api: Api) -> None:
    before = portal.store.hubspot["companies"]["9002"]["properties"]["hs_lastmodifieddate"]
    portal.sandbox.faults.add(Fault("fail_record", endpoint="hubspot.batch_update.companies", record=1))
    inputs = [
        {"id": "9002", "properties": {"visit_cadence_days": 60}},
        {"id": "9003", "properties": {"name": "X"}},
    ]
    failed = api.post("/crm/v3/objects/companies/batch/update", {"inputs": inputs})
    assert failed.status_code == 207
    assert [r["id"] for r in failed.json()["results"]] == ["9002"]
    assert portal.store.hubspot["companies"]["9003"]["properties"]["name"] == "Oak Clinic"  # untouched
    updated = portal.store.hubspot["companies"]["9002"]
    assert updated["properties"]["visit_cadence_days"] == "60"
    assert updated["properties"]["hs_lastmodifieddate"] == updated["updatedAt"] > before
    # The fault fired once; the retry goes through, and search sees the write (the query cache was dropped).
    assert api.post("/crm/v3/objects/companies/batch/update", {"inputs": inputs[1:]}).status_code == 200
    after_search_lag(portal)
    assert api.search_ids("companies", {"propertyName": "name", "operator": "EQ", "value": "X"}) == ["9003"]
    missing = api.post("/crm/v3/objects/companies/batch/update", {"inputs": [{"id": "1", "properties": {}}]})
    assert missing.status_code == 207 and missing.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    too_many = api.post("/crm/v3/objects/companies/batch/create", {"inputs": [{"properties": {}}] * 101})
    assert too_many.status_code == 400


def test_archive_moves_a_record_to_the_archived_listing(portal: RunningSandbox, api: Api) -> None:
    assert api.session.delete(api.base + "/crm/v3/objects/companies/9002", timeout=30).status_code == 204
    live = [r["id"] for r in api.get("/crm/v3/objects/companies", limit=100).json()["results"]]
    archived = [r["id"] for r in api.get("/crm/v3/objects/companies", archived="true").json()["results"]]
    assert (live, archived) == (["950", "9001", "9003", "9010"], ["9002", "9004"])
    after_search_lag(portal)  # list answers at once; search once its index caught up
    assert "9002" not in api.search_ids(
        "companies", {"propertyName": "hs_object_id", "operator": "HAS_PROPERTY"}
    )


# ---- associations, properties, owners ----------------------------------------------------------


def test_v4_association_batch_read_both_directions(api: Api) -> None:
    inputs = [{"id": i} for i in ("7001", "7002", "7003", "424242")]
    body = api.post("/crm/v4/associations/meetings/companies/batch/read", {"inputs": inputs}).json()
    assert body["status"] == "COMPLETE"
    found = {
        r["from"]["id"]: [(t["toObjectId"], t["associationTypes"][0]["typeId"]) for t in r["to"]]
        for r in body["results"]
    }
    assert found == {"7001": [(9001, 188)], "7002": [(9001, 188), (9003, 188)]}  # no links -> absent
    reverse = api.post(
        "/crm/v4/associations/companies/meetings/batch/read", {"inputs": [{"id": "9001"}]}
    ).json()
    assert [t["toObjectId"] for t in reverse["results"][0]["to"]] == [7001, 7002]


def test_v3_association_list_of_one_record(api: Api) -> None:
    body = api.get("/crm/v3/objects/companies/9001/associations/meetings").json()
    assert body == {
        "results": [
            {"id": "7001", "type": "company_to_meeting"},
            {"id": "7002", "type": "company_to_meeting"},
        ]
    }


def test_properties_cover_standard_custom_and_present_names(portal: RunningSandbox) -> None:
    tasks = _client(portal).crm.properties.core_api.get_all(object_type="tasks")
    names = {p.name: p.type for p in tasks.results}
    assert names["cadence_task_key"] == "string"  # declared in custom_properties
    assert names["hs_timestamp"] == "datetime" and names["hs_task_subject"] == "string"
    assert "visit_cadence_days" not in names
    companies = Api(portal).get("/crm/v3/properties/companies").json()["results"]
    assert {p["name"]: p["type"] for p in companies}["visit_cadence_days"] == "number"


def test_write_rejects_values_of_the_wrong_type(api: Api) -> None:
    inputs = [
        {"properties": {"hs_task_subject": "when?", "hs_timestamp": "next tuesday"}},
        {"id": "9001", "properties": {"visit_cadence_days": "often"}},
    ]
    task = api.post("/crm/v3/objects/tasks/batch/create", {"inputs": inputs[:1]}).json()
    company = api.post("/crm/v3/objects/companies/batch/update", {"inputs": inputs[1:]}).json()
    assert task["errors"][0]["errors"][0]["code"] == "INVALID_DATETIME"
    assert company["errors"][0]["context"] == {"propertyName": ["visit_cadence_days"]}
    assert task["results"] == company["results"] == []


def test_owners_paging_and_archived(portal: RunningSandbox, api: Api) -> None:
    first = api.get("/crm/v3/owners/", limit=1).json()
    assert [o["email"] for o in first["results"]] == ["sam@example.com"]
    second = api.get("/crm/v3/owners/", limit=1, after=first["paging"]["next"]["after"]).json()
    assert [o["id"] for o in second["results"]] == ["103"] and "paging" not in second
    owners = _client(portal).crm.owners.owners_api.get_page(archived=True)
    assert [(o.id, o.last_name, o.archived) for o in owners.results] == [("102", "Park", True)]


# ---- auth, faults, counters --------------------------------------------------------------------


def test_bad_token_gets_hubspot_401(portal: RunningSandbox) -> None:
    response = Api(portal, token="not-the-token").get("/crm/v3/objects/companies")
    assert response.status_code == 401
    body = response.json()
    assert (
        body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION" and body["correlationId"]
    )
    with pytest.raises(ApiException) as raised:
        HubSpot(access_token="wrong", host=portal.http_url).crm.companies.basic_api.get_page()
    assert raised.value.status == 401


def test_rate_limit_fault_answers_429_with_retry_after(portal: RunningSandbox, api: Api) -> None:
    portal.sandbox.faults.add(Fault("status_429", endpoint="hubspot.search.companies", retry_after=7))
    limited = api.post("/crm/v3/objects/companies/search", {})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json()["category"] == "RATE_LIMITS"
    assert api.post("/crm/v3/objects/companies/search", {}).status_code == 200


def test_counters_name_each_call(portal: RunningSandbox, api: Api) -> None:
    api.get("/crm/v3/objects/companies")
    api.get("/crm/v3/objects/companies/9001")
    api.search("companies", {})
    api.search("companies", {})
    api.post("/crm/v3/objects/tasks/batch/read", {"inputs": [{"id": "8001"}]})
    api.post("/crm/v4/associations/tasks/companies/batch/read", {"inputs": [{"id": "8001"}]})
    api.get("/crm/v3/owners/")
    api.get("/crm/v3/properties/companies")
    counters = {k: v for k, v in portal.counters.items() if k.startswith("hubspot.")}
    assert counters == {
        "hubspot.list.companies": 1,
        "hubspot.get.companies": 1,
        "hubspot.search.companies": 2,
        "hubspot.batch_read.tasks": 1,
        "hubspot.associations.tasks.companies": 1,
        "hubspot.owners": 1,
        "hubspot.properties.companies": 1,
        "hubspot.total": 8,
    }


def test_org_file_is_untouched_by_reads(portal: RunningSandbox, api: Api, tmp_path: Path) -> None:
    before = (tmp_path / "org.json").read_bytes()
    api.get("/crm/v3/objects/companies")
    api.search("companies", {"limit": 5})
    assert (tmp_path / "org.json").read_bytes() == before
    assert orjson.loads(before)["hubspot"]["custom_properties"]["tasks"] == ["cadence_task_key"]
