"""Conformance: the real hubspot-api-client, used the way its README and docs show, against the sandbox.

Each test is one client API (basic, search, batch, properties, owners, associations v4, pipelines,
discovery's get_all); the sandbox must answer so that the client's own models decode it, with the
values a production portal would hold.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4 import PublicObjectId as AssocId
from hubspot.crm.companies import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.companies.exceptions import ApiException as CompanyApiException
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from hubspot.crm.pipelines.exceptions import ApiException as PipelineApiException

from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.sandbox.hubspot_records import hubspot_record


def _portal() -> dict[str, Any]:
    return {
        "hubspot": {
            "owners": [{"id": "101", "email": "sam@example.com", "firstName": "Sam", "lastName": "Ortiz"}],
            "companies": [
                hubspot_record("9001", name="Lakeside Family Practice", lifecyclestage="customer"),
                hubspot_record("9002", name="Northside Pediatrics", lifecyclestage="lead"),
                hubspot_record("9003", name="Oak Clinic", lifecyclestage="customer"),
            ],
            "contacts": [
                hubspot_record("501", {"companies": ["9001"]}, firstname="Ada", email="ada@example.com")
            ],
            "deals": [
                hubspot_record(
                    "601",
                    {"companies": ["9001"]},
                    dealname="Referral",
                    dealstage="closedwon",
                    pipeline="default",
                )
            ],
            "tasks": [
                hubspot_record(
                    "801",
                    {"companies": ["9002"]},
                    hs_task_subject="Call back",
                    hs_task_status="NOT_STARTED",
                    cadence_task_key="hubspot:9002:2026-03-01",
                )
            ],
            "_metadata": {
                "tasks": {"properties": {"cadence_task_key": {"type": "string", "hasUniqueValue": True}}}
            },
        }
    }


@pytest.fixture
def client(start_sandbox: StartSandbox) -> HubSpot:
    running: RunningSandbox = start_sandbox(_portal())
    config = hubspot_config(running)
    return HubSpot(access_token=config.access_token, host=config.base_url)


# ---- objects: basic_api, discovery get_all -------------------------------------------------------


def test_basic_api_get_page_get_by_id_create_update_archive(client: HubSpot) -> None:
    basic = client.crm.companies.basic_api
    page = basic.get_page(limit=2, properties=["name"])
    assert [c.id for c in page.results] == ["9001", "9002"] and page.paging.next.after == "9003"
    assert basic.get_by_id("9003", properties=["name"]).properties["name"] == "Oak Clinic"
    created = basic.create(
        SimplePublicObjectInputForCreate(properties={"name": "Elm Dental", "lifecyclestage": "lead"})
    )
    assert created.properties["name"] == "Elm Dental" and created.properties["hs_object_id"] == created.id
    assert created.created_at == created.updated_at
    updated = basic.update(created.id, SimplePublicObjectInput(properties={"lifecyclestage": "customer"}))
    assert updated.properties["lifecyclestage"] == "customer" and updated.updated_at > created.updated_at
    basic.archive(created.id)
    with pytest.raises(CompanyApiException) as caught:
        basic.get_by_id(created.id)
    assert caught.value.status == 404
    assert basic.get_by_id(created.id, archived=True).archived is True


def test_single_write_errors_are_hubspots_4xx(client: HubSpot) -> None:
    basic = client.crm.companies.basic_api
    with pytest.raises(CompanyApiException) as caught:
        basic.create(SimplePublicObjectInputForCreate(properties={"lifecyclestage": "vip"}))
    assert caught.value.status == 400
    assert orjson.loads(caught.value.body)["errors"][0]["code"] == "INVALID_OPTION"
    with pytest.raises(CompanyApiException) as caught:
        basic.update("424242", SimplePublicObjectInput(properties={"name": "x"}))
    assert caught.value.status == 404


def test_discovery_get_all_pages_every_company(client: HubSpot) -> None:
    companies = client.crm.companies.get_all(properties=["name"])
    assert [c.id for c in companies] == ["9001", "9002", "9003"]


# ---- search ---------------------------------------------------------------------------------------


def test_search_api_do_search(client: HubSpot) -> None:
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="lifecyclestage", operator="EQ", value="customer")])
        ],
        sorts=["-name"],
        properties=["name"],
        limit=10,
    )
    found = client.crm.companies.search_api.do_search(public_object_search_request=request)
    assert found.total == 2 and [c.properties["name"] for c in found.results] == [
        "Oak Clinic",
        "Lakeside Family Practice",
    ]


# ---- batch_api -----------------------------------------------------------------------------------


def test_batch_api_create_read_update_upsert_archive(client: HubSpot) -> None:
    batch = client.crm.objects.tasks.batch_api
    created = batch.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(
                    properties={
                        "hs_task_subject": "Visit",
                        "hs_task_status": "NOT_STARTED",
                        "cadence_task_key": "hubspot:9001:2026-04-01",
                    }
                )
            ]
        )
    )
    new_id = created.results[0].id
    read = batch.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=new_id)], properties=["hs_task_subject"]
        )
    )
    assert read.results[0].properties["hs_task_subject"] == "Visit"
    updated = batch.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id=new_id, properties={"hs_task_status": "COMPLETED"})]
        )
    )
    assert updated.results[0].properties["hs_task_status"] == "COMPLETED"
    upserted = batch.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id_property="cadence_task_key",
                    id="hubspot:9001:2026-04-01",
                    properties={"hs_task_subject": "Visit (moved)"},
                ),
                SimplePublicObjectBatchInputUpsert(
                    id_property="cadence_task_key",
                    id="hubspot:9003:2026-04-02",
                    properties={"hs_task_subject": "New visit"},
                ),
            ]
        )
    )
    by_key = {r.properties["cadence_task_key"]: r for r in upserted.results}
    assert by_key["hubspot:9001:2026-04-01"].id == new_id and by_key["hubspot:9001:2026-04-01"].new is False
    assert by_key["hubspot:9003:2026-04-02"].new is True
    assert by_key["hubspot:9003:2026-04-02"].properties["hs_task_subject"] == "New visit"
    batch.archive(BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=new_id)]))
    assert client.crm.objects.tasks.basic_api.get_by_id(new_id, archived=True).archived is True


def test_unique_value_property_refuses_a_second_holder(client: HubSpot) -> None:
    batch = client.crm.objects.tasks.batch_api
    answer = batch.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(
                    properties={"cadence_task_key": "hubspot:9002:2026-03-01"}
                )
            ]
        )
    )
    assert answer.results == [] and answer.errors[0].category == "CONFLICT"
    assert "Existing ID: 801" in answer.errors[0].message


def test_upsert_needs_a_unique_value_property(client: HubSpot) -> None:
    from hubspot.crm.objects.tasks.exceptions import ApiException

    with pytest.raises(ApiException) as caught:
        client.crm.objects.tasks.batch_api.upsert(
            BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[
                    SimplePublicObjectBatchInputUpsert(
                        id_property="hs_task_subject", id="Call back", properties={}
                    )
                ]
            )
        )
    assert caught.value.status == 400
    assert "not a unique value property" in orjson.loads(caught.value.body)["message"]


# ---- properties and owners -----------------------------------------------------------------------


def test_properties_core_api_and_groups_api(client: HubSpot) -> None:
    core = client.crm.properties.core_api
    names = {p.name for p in core.get_all(object_type="tasks").results}
    assert {"hs_task_status", "cadence_task_key", "hs_timestamp"} <= names
    key = core.get_by_name(object_type="tasks", property_name="cadence_task_key")
    assert key.has_unique_value is True and key.hubspot_defined is False
    groups = client.crm.properties.groups_api.get_all(object_type="tasks").results
    assert [g.name for g in groups] == ["taskinformation"]


def test_owners_api(client: HubSpot) -> None:
    owners = client.crm.owners.owners_api.get_page(email="sam@example.com")
    assert [(o.id, o.first_name) for o in owners.results] == [("101", "Sam")]
    assert client.crm.owners.owners_api.get_by_id(101).email == "sam@example.com"


# ---- associations v4 -----------------------------------------------------------------------------


def test_associations_v4_basic_api(client: HubSpot) -> None:
    basic = client.crm.associations.v4.basic_api
    page = basic.get_page("companies", "9001", "contacts")
    assert [(r.to_object_id, r.association_types[0].type_id) for r in page.results] == [("501", 280)]
    made = basic.create_default("contacts", "501", "companies", "9003")
    assert {(r._from.id, r.to.id) for r in made.results} == {("501", "9003"), ("9003", "501")}
    typed = basic.create(
        "contacts",
        "501",
        "companies",
        "9002",
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279)],
    )
    assert (typed.from_object_type_id, typed.to_object_type_id, typed.labels) == ("0-1", "0-2", [])
    linked = [r.to_object_id for r in basic.get_page("contacts", "501", "companies").results]
    assert linked == ["9001", "9002", "9003"]
    basic.archive("contacts", "501", "companies", "9001")
    assert [r.to_object_id for r in basic.get_page("companies", "9001", "contacts").results] == []


def test_associations_v4_batch_api_and_schema(client: HubSpot) -> None:
    batch = client.crm.associations.v4.batch_api
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=192)
    made = batch.create(
        "tasks",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[PublicAssociationMultiPost(_from=AssocId(id="801"), to=AssocId(id="9003"), types=[spec])]
        ),
    )
    assert made.results[0].to_object_id == "9003"
    batch.create_default(
        "tasks",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[PublicDefaultAssociationMultiPost(_from=AssocId(id="801"), to=AssocId(id="9001"))]
        ),
    )
    read = batch.get_page(
        "tasks",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[PublicFetchAssociationsBatchRequest(id="801")]),
    )
    assert sorted(t.to_object_id for t in read.results[0].to) == ["9001", "9002", "9003"]
    batch.archive(
        "tasks",
        "companies",
        BatchInputPublicAssociationMultiArchive(
            inputs=[PublicAssociationMultiArchive(_from=AssocId(id="801"), to=[AssocId(id="9002")])]
        ),
    )
    read = batch.get_page(
        "tasks",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[PublicFetchAssociationsBatchRequest(id="801")]),
    )
    assert sorted(t.to_object_id for t in read.results[0].to) == ["9001", "9003"]
    labels = client.crm.associations.v4.schema.definitions_api.get_all("tasks", "companies")
    assert [(label.category, label.type_id, label.label) for label in labels.results] == [
        ("HUBSPOT_DEFINED", 192, None)
    ]


# ---- pipelines -----------------------------------------------------------------------------------


def test_pipelines_api(client: HubSpot) -> None:
    pipelines = client.crm.pipelines
    deals = pipelines.pipelines_api.get_all("deals").results
    assert [(p.id, p.label) for p in deals] == [("default", "Sales Pipeline")]
    assert [s.id for s in deals[0].stages][-2:] == ["closedwon", "closedlost"]
    won = pipelines.pipeline_stages_api.get_by_id("deals", "default", "closedwon")
    assert won.metadata == {"probability": "1.0", "isClosed": "true"}
    tickets = pipelines.pipelines_api.get_by_id("tickets", "0")
    assert [s.metadata["ticketState"] for s in tickets.stages] == ["OPEN", "OPEN", "OPEN", "CLOSED"]
    with pytest.raises(PipelineApiException) as caught:
        pipelines.pipelines_api.get_all("companies")
    assert caught.value.status == 400
