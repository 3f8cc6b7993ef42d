"""Who was met and who referred, through the real clients against the sandbox over HTTP(S) (no mocks).

simple-salesforce queries Event.WhoId, EventRelation and OpportunityContactRole (SOQL, relationship
filter, queryAll of a deleted relation) and reads describe; hubspot-api-client reads meeting → contact
and deal → contact associations with the v4 batch and basic APIs and the v3 list `associations=`.
"""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from simple_salesforce import Salesforce

from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.sandbox.hubspot_records import hubspot_record
from tests.sandbox.test_salesforce_sandbox import login

STAMP = "2026-02-01T09:00:00.000+0000"
ACCOUNT, EVENT, OPPORTUNITY = "001000000000001AAA", "00U000000000001AAA", "006000000000001AAA"
ANN, BO = "003000000000001AAA", "003000000000002AAA"


def _sf(record_id: str, **fields: Any) -> dict[str, Any]:
    return {"Id": record_id, "CreatedDate": STAMP, "SystemModstamp": STAMP, "IsDeleted": False, **fields}


def _org() -> dict[str, Any]:
    return {
        "salesforce": {
            "Account": [_sf(ACCOUNT, Name="Mercy General", Type="Customer")],
            "Contact": [_sf(ANN, AccountId=ACCOUNT, Name="Dr. Ann Lee"),
                        _sf(BO, AccountId=ACCOUNT, Name="Bo Kim")],
            "Event": [_sf(EVENT, AccountId=ACCOUNT, WhatId=ACCOUNT, WhoId=ANN, Type="Visit",
                          ActivityDate="2026-01-20", StartDateTime="2026-01-20T15:00:00.000+0000")],
            "EventRelation": [
                _sf("0RE000000000001AAA", EventId=EVENT, RelationId=BO, IsInvitee=True),
                _sf("0RE000000000002AAA", EventId=EVENT, RelationId=ANN, IsInvitee=False, IsParent=True),
                _sf("0RE000000000003AAA", EventId=EVENT, RelationId=BO, IsInvitee=True, IsDeleted=True),
            ],
            "Opportunity": [_sf(OPPORTUNITY, AccountId=ACCOUNT, Name="Referral", StageName="Closed Won")],
            "OpportunityContactRole": [
                _sf("00K000000000001AAA", OpportunityId=OPPORTUNITY, ContactId=ANN, IsPrimary=True),
            ],
        }
    }  # fmt: skip


@pytest.fixture
def sf(start_sandbox: StartSandbox) -> Salesforce:
    running = start_sandbox(_org())
    # Four days after the delete: still in the Recycle Bin, which queryAll reads.
    running.control("POST", "/__sandbox/clock", {"now": "2026-02-05T12:00:00+00:00"})
    return login(running)


def test_simple_salesforce_reads_who_and_invitees(sf: Salesforce) -> None:
    (event,) = sf.query("SELECT Id, WhoId FROM Event")["records"]
    assert event["WhoId"] == ANN
    soql = f"SELECT Id, RelationId, IsInvitee, IsParent, IsWhat FROM EventRelation WHERE EventId = '{EVENT}'"
    rows = {(r["RelationId"], r["IsInvitee"], r["IsParent"], r["IsWhat"]) for r in sf.query(soql)["records"]}
    assert rows == {(BO, True, False, False), (ANN, False, True, False)}  # the deleted one: queryAll only
    every = sf.query_all(soql.replace("IsWhat", "IsWhat, IsDeleted"), include_deleted=True)["records"]
    assert sorted((r["Id"][-4:], r["IsDeleted"]) for r in every) == [
        ("1AAA", False), ("2AAA", False), ("3AAA", True),
    ]  # fmt: skip
    fields = {f["name"]: f for f in sf.EventRelation.describe()["fields"]}
    assert fields["RelationId"]["referenceTo"] == ["Contact", "Lead", "User"]
    assert {"IsInvitee", "IsParent", "IsWhat", "SystemModstamp", "IsDeleted"} <= fields.keys()


def test_simple_salesforce_reads_contact_roles(sf: Salesforce) -> None:
    soql = "SELECT OpportunityId, ContactId, Role, IsPrimary FROM OpportunityContactRole"
    (role,) = sf.query(soql)["records"]
    assert (role["OpportunityId"], role["ContactId"], role["Role"], role["IsPrimary"]) == (
        OPPORTUNITY, ANN, None, True,
    )  # fmt: skip


def _portal() -> dict[str, Any]:
    return {
        "hubspot": {
            "companies": [hubspot_record("9001", name="Lakeside", lifecyclestage="customer")],
            "contacts": [hubspot_record("501", {"companies": ["9001"]}, firstname="Ada"),
                         hubspot_record("502", {"companies": ["9001"]}, firstname="Ben")],
            "meetings": [hubspot_record("701", {"companies": ["9001"], "contacts": ["502", "501"]},
                                        hs_meeting_title="Visit")],
            "deals": [hubspot_record("601", {"companies": ["9001"], "contacts": ["501"]},
                                     dealname="Referral")],
        }
    }  # fmt: skip


@pytest.fixture
def client(start_sandbox: StartSandbox) -> HubSpot:
    config = hubspot_config(start_sandbox(_portal()))
    return HubSpot(access_token=config.access_token, host=config.base_url)


def test_hubspot_api_client_reads_meeting_and_deal_contacts(client: HubSpot) -> None:
    v4 = client.crm.associations.v4
    request = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id="701")]
    )
    (read,) = v4.batch_api.get_page("meetings", "contacts", request).results
    # HubSpot-defined meeting → contact type 200; ids in id order.
    assert [(t.to_object_id, t.association_types[0].type_id) for t in read.to] == [("501", 200), ("502", 200)]
    deal = v4.basic_api.get_page("deals", "601", "contacts").results
    assert [(r.to_object_id, r.association_types[0].type_id) for r in deal] == [("501", 3)]
    back = v4.basic_api.get_page("contacts", "501", "meetings").results
    assert [(r.to_object_id, r.association_types[0].type_id) for r in back] == [("701", 199)]
    page = client.crm.objects.meetings.basic_api.get_page(associations=["contacts", "companies"])
    (meeting,) = page.results
    assert sorted(a.id for a in meeting.associations["contacts"].results) == ["501", "502"]
