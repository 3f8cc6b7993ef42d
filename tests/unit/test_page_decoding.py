"""Page decoding: one Salesforce query body or one HubSpot search page → one typed Arrow table.

Bodies are shaped as the vendors document them: Salesforce's query response (`totalSize`, `done`,
`nextRecordsUrl`, `records` with an `attributes` object each, datetimes like `2024-06-30T10:15:00.000+0000`;
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm) and HubSpot's
search results (`id`, `properties` as strings, ISO stamps with `Z`;
https://developers.hubspot.com/docs/api-reference/search/guide).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from ingest.errors import CrmSchemaError
from ingest.hubspot.helpers import object_schema, records_to_table
from ingest.hubspot.settings import COMPANIES, CONTACTS, MODSTAMP, TASKS
from ingest.quarantine import Rejections
from ingest.salesforce.helpers import PageDecoder
from ingest.salesforce.settings import SALESFORCE_OBJECTS, SalesforceField, SalesforceObject

SEEN = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
NEXT_URL = "/services/data/v62.0/query/01gD0000002HU6KIAW-2000"


def salesforce_body(records: list[dict[str, Any]], done: bool = True) -> bytes:
    body: dict[str, Any] = {"totalSize": len(records), "done": done, "records": records}
    if not done:
        body["nextRecordsUrl"] = NEXT_URL
    return orjson.dumps(body)


def account(record_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "attributes": {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{record_id}"},
        "Id": record_id,
        "Name": "Acme Dental",
        "Type": "Customer",
        "OwnerId": "005000000000001AAA",
        "ParentId": None,
        "Visit_Cadence_Days__c": 30.0,
        "CreatedDate": "2024-01-02T09:00:00.000+0000",
        "SystemModstamp": "2024-06-30T10:15:00.000+0000",
        "IsDeleted": False,
        **fields,
    }


def test_a_salesforce_page_decodes_to_typed_columns_with_its_next_url() -> None:
    page = PageDecoder(SALESFORCE_OBJECTS["Account"])(salesforce_body([account("001A")], done=False))
    assert (page.done, page.next_records_url, page.rejected) == (False, NEXT_URL, None)
    assert page.table.to_pylist() == [
        {
            "id": "001A",
            "name": "Acme Dental",
            "type": "Customer",
            "owner_id": "005000000000001AAA",
            "parent_id": None,
            "visit_cadence_days_c": 30.0,
            # Fields the page lacks come back null (the registry matching's address and NPI).
            "billing_street": None,
            "billing_city": None,
            "billing_state": None,
            "billing_postal_code": None,
            "npi_c": None,
            "created_date": datetime(2024, 1, 2, 9, 0, tzinfo=UTC),
            "system_modstamp": datetime(2024, 6, 30, 10, 15, tzinfo=UTC),
            "is_deleted": False,
        }
    ]


def test_a_salesforce_offset_other_than_utc_is_converted() -> None:
    body = salesforce_body([account("001A", SystemModstamp="2024-06-30T12:15:00.000+0200")])
    page = PageDecoder(SALESFORCE_OBJECTS["Account"])(body)
    assert page.table["system_modstamp"].to_pylist() == [datetime(2024, 6, 30, 10, 15, tzinfo=UTC)]


def test_an_empty_salesforce_page_has_every_column() -> None:
    page = PageDecoder(SALESFORCE_OBJECTS["Account"])(salesforce_body([]))
    assert page.done and page.next_records_url is None
    assert page.table.num_rows == 0
    assert "system_modstamp" in page.table.column_names


def test_a_field_the_org_lacks_comes_null() -> None:
    """An optional field (Visit_Cadence_Days__c) absent from the records: a null column, not an error."""
    record = account("001A")
    del record["Visit_Cadence_Days__c"]
    page = PageDecoder(SALESFORCE_OBJECTS["Account"])(salesforce_body([record]))
    assert page.table["visit_cadence_days_c"].to_pylist() == [None]


def test_a_salesforce_date_that_does_not_exist_is_quarantined_not_fatal() -> None:
    task = {
        "attributes": {"type": "Task"}, "Id": "00TA", "AccountId": "001A", "WhatId": "001A",
        "OwnerId": "005A", "Type": "Visit", "Subject": "Visit", "Status": "Completed",
        "Priority": "Normal", "ActivityDate": "2026-02-30", "IsClosed": True, "Description": None,
        "Cadence_Task_Key__c": None, "CreatedDate": "2024-06-01T09:00:00.000+0000",
        "SystemModstamp": "2024-06-01T09:00:00.000+0000", "IsDeleted": False,
    }  # fmt: skip
    good = {**task, "Id": "00TB", "ActivityDate": "2024-06-03"}
    page = PageDecoder(SALESFORCE_OBJECTS["Task"], seen_at=SEEN)(salesforce_body([task, good]))
    assert page.table["activity_date"].to_pylist() == [None, date(2024, 6, 3)]
    assert page.rejected is not None
    assert page.rejected.to_pylist() == [
        {
            "object": "Task",
            "id": "00TA",
            "column": "activity_date",
            "value": "2026-02-30",
            "reason": "cannot be read as a date",
            "modstamp": datetime(2024, 6, 1, 9, 0, tzinfo=UTC),
            "seen_at": SEEN,
        }
    ]


def test_a_key_only_salesforce_page_decodes_without_a_modstamp() -> None:
    """The delete check's `SELECT Id`: only ids come back; the decoder for that shape still works."""
    ids_only = SalesforceObject("Account", (SalesforceField("Id"),))
    body = salesforce_body([{"attributes": {"type": "Account"}, "Id": "001A"}, {"Id": "001B"}])
    page = PageDecoder(ids_only)(body)
    assert page.table.to_pylist() == [{"id": "001A"}, {"id": "001B"}]


def test_a_salesforce_value_of_the_wrong_json_type_fails_with_the_fix() -> None:
    body = salesforce_body([account("001A", IsDeleted={"nested": True})])
    with pytest.raises(CrmSchemaError, match=r"fix the types in ingest/salesforce/settings\.py"):
        PageDecoder(SALESFORCE_OBJECTS["Account"])(body)


def company(record_id: str, **properties: str | None) -> dict[str, Any]:
    base = {
        "name": "Acme Dental", "lifecyclestage": "customer", "hubspot_owner_id": "7001",
        "visit_cadence_days": "30", "createdate": "2024-01-02T09:00:00.000Z",
        "hs_lastmodifieddate": "2024-06-30T10:15:00.123Z", "hs_object_id": record_id,
    }  # fmt: skip
    return {"id": record_id, "properties": {**base, **properties}, "archived": False}


def hubspot_table(spec: Any, records: list[dict[str, Any]], rejections: Rejections | None = None) -> Any:
    return records_to_table(records, object_schema(spec), spec.property_of_column, False, rejections)


def test_a_hubspot_page_flattens_properties_to_typed_columns() -> None:
    table = hubspot_table(COMPANIES, [company("101")])
    assert table.to_pylist() == [
        {
            "id": "101",
            "name": "Acme Dental",
            "lifecyclestage": "customer",
            "hubspot_owner_id": "7001",
            "visit_cadence_days": 30.0,
            "address": None,
            "zip": None,
            "npi": None,
            "createdate": datetime(2024, 1, 2, 9, 0, tzinfo=UTC),
            "hs_lastmodifieddate": datetime(2024, 6, 30, 10, 15, 0, 123000, tzinfo=UTC),
            "archived": False,
        }
    ]


def test_a_cleared_hubspot_number_is_null_and_a_missing_property_is_null() -> None:
    """HubSpot answers "" for a cleared number property, and leaves out a property the portal lacks."""
    missing = company("102")
    del missing["properties"]["visit_cadence_days"]
    table = hubspot_table(COMPANIES, [company("101", visit_cadence_days=""), missing])
    assert table["visit_cadence_days"].to_pylist() == [None, None]


def test_contacts_read_their_modstamp_from_lastmodifieddate() -> None:
    contact = {
        "id": "201",
        "properties": {"firstname": "Ada", "lastmodifieddate": "2024-06-30T10:15:00Z",
                       "hs_lastmodifieddate": "2020-01-01T00:00:00Z"},
    }  # fmt: skip
    table = hubspot_table(CONTACTS, [contact])
    assert table["hs_lastmodifieddate"].to_pylist() == [datetime(2024, 6, 30, 10, 15, tzinfo=UTC)]
    assert table["company_ids"].to_pylist() == [""]  # filled later from the associations API


def test_an_epoch_millis_hubspot_stamp_is_read_and_junk_is_quarantined() -> None:
    rejections = Rejections("tasks", SEEN)
    tasks = [  # epoch milliseconds (older integrations write them), then junk
        {"id": "301", "properties": {"hs_timestamp": "1719742500000", MODSTAMP: "2024-06-30T10:15:00Z"}},
        {"id": "302", "properties": {"hs_timestamp": "not a date", MODSTAMP: "2024-06-30T10:16:00Z"}},
    ]
    table = hubspot_table(TASKS, tasks, rejections)
    assert table["hs_timestamp"].to_pylist() == [datetime(2024, 6, 30, 10, 15, tzinfo=UTC), None]
    rejected = rejections.table()
    assert rejected is not None
    assert [(r["id"], r["column"], r["value"], r["reason"]) for r in rejected.to_pylist()] == [
        ("302", "hs_timestamp", "not a date", "cannot be read as a timestamp")
    ]


def test_an_empty_hubspot_page_is_an_empty_table_of_the_schema() -> None:
    table = hubspot_table(COMPANIES, [])
    assert table.num_rows == 0
    assert table.schema == object_schema(COMPANIES)
