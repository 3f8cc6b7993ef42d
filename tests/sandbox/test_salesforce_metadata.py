"""Describe fidelity and org-file loading: picklists, field flags, compound fields, system fields filled,
malformed org files refused in one line. Over HTTPS with simple-salesforce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from ingest.sandbox import OrgStore
from ingest.sandbox.core.store import OrgFileError
from ingest.sandbox.salesforce.models import INTEGRATION_USER_ID
from tests.conftest import StartSandbox
from tests.sandbox.test_salesforce_sandbox import DANA, describe_fields, login, org

KEYED = {"Task": {"fields": {"Cadence_Task_Key__c": {"type": "string", "externalId": True, "unique": True}}}}


def test_picklists_are_salesforces_standard_values_unless_the_org_declares_its_own(
    start_sandbox: StartSandbox,
) -> None:
    document = org()
    document["salesforce"]["_metadata"] = {
        "Account": {"fields": {"Type": {"picklistValues": ["Prospect", "Active Referral Source"]}}}
    }
    sf = login(start_sandbox(document))
    account_type = describe_fields(sf, "Account")["Type"]["picklistValues"]
    assert [entry["value"] for entry in account_type] == ["Prospect", "Active Referral Source"]
    assert account_type[1] == {
        "active": True,
        "defaultValue": False,
        "label": "Active Referral Source",
        "value": "Active Referral Source",
        "validFor": None,
    }
    task = describe_fields(sf, "Task")
    assert [e["value"] for e in task["Status"]["picklistValues"]] == [
        "Not Started",
        "In Progress",
        "Completed",
        "Waiting on someone else",
        "Deferred",
    ]
    assert [e["value"] for e in task["Priority"]["picklistValues"] if e["defaultValue"]] == ["Normal"]
    assert describe_fields(sf, "Account")["Industry"]["picklistValues"][0]["value"] == "Agriculture"
    assert task["Subject"]["picklistValues"] == []


def test_system_and_required_fields_are_not_nillable(start_sandbox: StartSandbox) -> None:
    sf = login(start_sandbox(org()))
    account, contact, user = (describe_fields(sf, name) for name in ("Account", "Contact", "User"))
    system = ("Id", "SystemModstamp", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById")
    assert [account[name]["nillable"] for name in (*system, "IsDeleted", "Name")] == [False] * 8
    assert (contact["LastName"]["nillable"], user["Username"]["nillable"], contact["Title"]["nillable"]) == (
        False,
        False,
        True,
    )
    assert (account["Id"]["idLookup"], account["Id"]["createable"], account["Name"]["createable"]) == (
        True,
        False,
        True,
    )
    assert (account["BillingStreet"]["sortable"], account["Name"]["sortable"]) == (False, True)  # textarea


def test_compound_fields_name_their_parts(start_sandbox: StartSandbox) -> None:
    sf = login(start_sandbox(org()))
    account, contact, user = (describe_fields(sf, name) for name in ("Account", "Contact", "User"))
    assert account["BillingStreet"]["compoundFieldName"] == "BillingAddress"
    assert account["ShippingCity"]["compoundFieldName"] == "ShippingAddress"
    assert (account["BillingAddress"]["type"], account["BillingAddress"]["compoundFieldName"]) == (
        "address",
        None,
    )
    assert contact["FirstName"]["compoundFieldName"] == contact["LastName"]["compoundFieldName"] == "Name"
    assert contact["MailingPostalCode"]["compoundFieldName"] == "MailingAddress"
    assert user["LastName"]["compoundFieldName"] == "Name"
    assert all("compoundFieldName" in field for field in account.values())


def test_external_id_and_unique_come_from_the_org_file(start_sandbox: StartSandbox) -> None:
    document = org()
    document["salesforce"]["_metadata"] = KEYED
    key = describe_fields(login(start_sandbox(document)), "Task")["Cadence_Task_Key__c"]
    assert (key["externalId"], key["unique"], key["idLookup"], key["custom"], key["type"]) == (
        True,
        True,
        True,
        True,
        "string",
    )
    # An org that lacks the field (neither declared nor on any record) has no such field.
    assert "Cadence_Task_Key__c" not in describe_fields(login(start_sandbox(org(), name="bare.json")), "Task")


def test_standard_objects_beyond_the_six_describe_and_query_empty(start_sandbox: StartSandbox) -> None:
    sf = login(start_sandbox(org()))
    names = {entry["name"] for entry in sf.describe()["sobjects"]}
    expected = {"Lead", "Campaign", "CampaignMember", "Product2", "Pricebook2", "PricebookEntry",
                "OpportunityLineItem", "OpportunityContactRole", "UserRole", "EventRelation"}  # fmt: skip
    assert expected <= names
    for sobject in sorted(expected):
        fields = describe_fields(sf, sobject)
        assert "Id" in fields and "SystemModstamp" in fields, sobject
        assert sf.query_all(f"SELECT Id FROM {sobject}") == {"totalSize": 0, "done": True, "records": []}


# ---- system fields filled on load ------------------------------------------------------------------
def test_records_without_system_fields_get_them_on_load() -> None:
    stamp = "2026-01-05T09:00:00.000+0000"
    store = OrgStore(
        {
            "salesforce": {
                "User": [{"Id": DANA, "Name": "Dana Reyes", "Email": "dana@example.com", "IsActive": True}],
                "Account": [
                    {"Id": "001000000000001AAA", "Name": "Mercy", "OwnerId": DANA, "SystemModstamp": stamp}
                ],
                "Opportunity": [{"Id": "006000000000001AAA", "Name": "R", "StageName": "Closed Won"}],
            }
        }
    )
    user = store.salesforce["User"][DANA]
    assert user["Id"] == DANA and user["SystemModstamp"] == user["LastModifiedDate"] == user["CreatedDate"]
    assert (user["CreatedById"], user["FirstName"], user["LastName"], user["Username"]) == (
        INTEGRATION_USER_ID,
        "Dana",
        "Reyes",
        "dana@example.com",
    )
    assert "IsDeleted" not in user  # users are deactivated, never deleted
    account = store.salesforce["Account"]["001000000000001AAA"]
    assert (
        account["CreatedDate"],
        account["LastModifiedDate"],
        account["CreatedById"],
        account["IsDeleted"],
    ) == (
        stamp,
        stamp,
        DANA,
        False,
    )
    opportunity = store.salesforce["Opportunity"]["006000000000001AAA"]
    assert (opportunity["IsClosed"], opportunity["IsWon"], opportunity["CloseDate"]) == (
        True,
        True,
        opportunity["CreatedDate"][:10],
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not JSON"),
        (b'{"salesforce": {"Account": [{"Name": "no id"}]}}', "salesforce.Account[0] has no 'Id'"),
        (
            b'{"salesforce": {"Account": {"Id": "001"}}}',
            "salesforce.Account must be a list of records, not dict",
        ),
        (b'{"salesforce": {"Account": ["001"]}}', "salesforce.Account[0] is not an object"),
        (b'{"salesforce": []}', "'salesforce' must be an object"),
        (b"[]", "must be a JSON object"),
    ],
)
def test_a_malformed_org_file_is_one_line_naming_file_and_record(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(OrgFileError) as raised:
        OrgStore.load(path)
    text = str(raised.value)
    assert text.startswith(f"org file {path}") and message in text and "\n" not in text


def test_the_org_file_round_trips_metadata(tmp_path: Path) -> None:
    document: dict[str, Any] = {"salesforce": {"_metadata": KEYED, "Task": []}}
    path = tmp_path / "org.json"
    path.write_bytes(orjson.dumps(document))
    store = OrgStore.load(path)
    assert store.document()["salesforce"]["_metadata"] == KEYED


def test_a_selected_address_is_built_from_its_parts(start_sandbox: StartSandbox) -> None:
    document = org()
    first = document["salesforce"]["Account"][0]
    first.update({"BillingCity": "Springfield", "BillingState": "IL"})
    sf = login(start_sandbox(document))
    rows = sf.query(f"SELECT BillingAddress, ShippingAddress FROM Account WHERE Id = '{first['Id']}'")[
        "records"
    ]
    address = rows[0]["BillingAddress"]
    assert (address["city"], address["state"], address["street"], rows[0]["ShippingAddress"]) == (
        "Springfield",
        "IL",
        None,
        None,
    )
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Id FROM Account WHERE BillingAddress = 'x'")
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"
