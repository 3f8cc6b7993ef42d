"""simple-salesforce, used the way its README shows, against the sandbox over HTTPS (no mocks).

Each test names the vendor behaviour it checks; docs/sandbox-conformance.md maps them to the docs.
limits() is the `cadence doctor` work's (GET limits/) and is added there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceMalformedRequest,
)

from ingest.http import PinnedCASession, make_session
from ingest.sandbox import RunningSandbox
from tests.conftest import StartSandbox
from tests.sandbox.test_salesforce_sandbox import DANA, MERCY, login, org

KEY = "Cadence_Task_Key__c"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def keyed_org(**salesforce: Any) -> dict[str, Any]:
    document = org()
    document["salesforce"]["_metadata"] = {"Task": {"fields": {KEY: {"externalId": True, "unique": True}}}}
    document["salesforce"].update(salesforce)
    return document


def control(running: RunningSandbox, path: str, body: Any = None) -> Any:
    return running.control("POST", f"/__sandbox/{path}", body)


@pytest.fixture
def running(start_sandbox: StartSandbox) -> RunningSandbox:
    running = start_sandbox(keyed_org())
    control(running, "clock", {"now": NOW.isoformat()})
    return running


@pytest.fixture
def sf(running: RunningSandbox) -> Salesforce:
    return login(running)


# ---- queries ---------------------------------------------------------------------------------------
def test_query_query_all_and_iter_agree(sf: Salesforce) -> None:
    live = sf.query_all("SELECT Id FROM Event")
    paged = list(sf.query_all_iter("SELECT Id FROM Event"))
    assert live["totalSize"] == len(paged) == 4050  # 4500 events, every 10th deleted
    first = sf.query("SELECT Id FROM Event")
    assert (first["done"], len(first["records"])) == (False, 2000)
    assert sf.query_all("SELECT Id FROM Event", include_deleted=True)["totalSize"] == 4500


def test_organization_object(sf: Salesforce) -> None:
    org_row = sf.query(
        "SELECT Id, Name, OrganizationType, InstanceName, IsSandbox, TimeZoneSidKey FROM Organization"
    )
    assert org_row["totalSize"] == 1
    assert org_row["records"][0]["IsSandbox"] is True and org_row["records"][0]["Id"].startswith("00D")


# ---- describe ----------------------------------------------------------------------------------------
def test_describe_carries_picklists_external_ids_compound_names_nillable(sf: Salesforce) -> None:
    task = {f["name"]: f for f in sf.Task.describe()["fields"]}
    account = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert (task[KEY]["externalId"], task[KEY]["unique"]) == (True, True)
    assert "Completed" in [p["value"] for p in task["Status"]["picklistValues"]]
    assert account["BillingCity"]["compoundFieldName"] == "BillingAddress"
    assert (account["SystemModstamp"]["nillable"], account["Type"]["nillable"]) == (False, True)


# ---- writes ------------------------------------------------------------------------------------------
def test_create_update_delete_and_get(sf: Salesforce) -> None:
    created = sf.Task.create({"WhatId": MERCY, "Subject": "Call back"})
    assert created["success"] is True
    assert sf.Task.update(created["id"], {"Status": "Completed"}) == 204
    got = sf.Task.get(created["id"])
    assert (got["Status"], got["IsClosed"], got["CreatedById"]) == ("Completed", True, "005000000000000AAA")
    assert sf.Task.delete(created["id"]) == 204


def test_upsert_and_get_by_custom_id(sf: Salesforce) -> None:
    assert sf.Task.upsert(f"{KEY}/k-1", {"WhatId": MERCY, "Subject": "first"}) == 201
    assert sf.Task.upsert(f"{KEY}/k-1", {"Subject": "second"}) == 200
    got = sf.Task.get_by_custom_id(KEY, "k-1")
    assert (got["Subject"], got[KEY]) == ("second", "k-1")
    assert sf.query(f"SELECT Id FROM Task WHERE {KEY} = 'k-1'")["totalSize"] == 1
    with pytest.raises(SalesforceError) as raised:  # Subject is not an External ID
        sf.Task.upsert("Subject/x", {"Subject": "x"})
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_a_unique_field_refuses_duplicates_on_create(sf: Salesforce) -> None:
    sf.Task.create({"WhatId": MERCY, "Subject": "a", KEY: "dup"})
    with pytest.raises(SalesforceError) as raised:
        sf.Task.create({"WhatId": MERCY, "Subject": "b", KEY: "DUP"})  # case-insensitive, like Salesforce
    assert raised.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_composite_sobjects_upsert_reports_created(sf: Salesforce) -> None:
    sf.Task.create({"WhatId": MERCY, "Subject": "old", KEY: "u-1"})
    records = [
        {"attributes": {"type": "Task"}, KEY: "u-1", "Subject": "updated"},
        {"attributes": {"type": "Task"}, KEY: "u-2", "WhatId": MERCY, "Subject": "new"},
        {"attributes": {"type": "Task"}, KEY: "u-2", "WhatId": MERCY, "Subject": "same key again"},
    ]
    results = sf.restful(
        f"composite/sobjects/Task/{KEY}", method="PATCH", json={"allOrNone": False, "records": records}
    )
    assert [(r["success"], r.get("created")) for r in results] == [
        (True, False),
        (True, True),
        (False, False),
    ]
    assert results[2]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"


def test_composite_with_references_stamps_one_instant(sf: Salesforce) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Task", "referenceId": "t",
             "body": {"WhatId": MERCY, "Subject": "composite"}},
            {"method": "GET", "url": "/services/data/v59.0/sobjects/Task/@{t.id}", "referenceId": "read"},
            {"method": "GET", "referenceId": "q",
             "url": "/services/data/v59.0/query/?q=SELECT+Id+FROM+Task+WHERE+Subject='composite'"},
        ],
    }  # fmt: skip
    answers = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [201, 200, 200]
    assert answers[1]["body"]["Subject"] == "composite" and answers[2]["body"]["totalSize"] == 1


def test_composite_all_or_none_rolls_back(sf: Salesforce) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Task", "referenceId": "ok",
             "body": {"WhatId": MERCY, "Subject": "rolled back"}},
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Task", "referenceId": "bad",
             "body": {"NoSuchField__c": 1}},
        ],
    }  # fmt: skip
    answers = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [400, 400]
    assert answers[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert sf.query("SELECT Id FROM Task WHERE Subject = 'rolled back'")["totalSize"] == 0


def test_a_batch_write_shares_one_modstamp_and_a_frozen_clock_ties_writes(running: RunningSandbox) -> None:
    sf = login(running)
    control(running, "salesforce/profile", {"name": "realistic"})
    records = [{"attributes": {"type": "Task"}, "WhatId": MERCY, "Subject": f"batch {n}"} for n in range(5)]
    sf.restful("composite/sobjects", method="POST", json={"records": records})
    sf.Task.create({"WhatId": MERCY, "Subject": "batch single"})  # frozen clock, no forced +1 ms
    stamps = {
        r["SystemModstamp"]
        for r in sf.query_all("SELECT SystemModstamp FROM Task WHERE Subject LIKE 'batch%'")["records"]
    }
    assert stamps == {"2026-03-01T12:00:00.000+0000"}


# ---- replication: getDeleted / getUpdated, recycle bin -------------------------------------------------
def test_deleted_and_updated_for_the_last_days(running: RunningSandbox, sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Short-lived"})
    control(running, "clock", {"now": (NOW + timedelta(hours=1)).isoformat()})
    sf.Account.delete(created["id"])
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    deleted = sf.Account.deleted(start, end)
    assert deleted["deletedRecords"] == [{"id": created["id"], "deletedDate": "2026-03-01T13:00:00.000+0000"}]
    assert {"earliestDateAvailable", "latestDateCovered"} <= deleted.keys()
    assert created["id"] not in sf.Account.updated(start, end)["ids"]
    updated = sf.Task.create({"WhatId": MERCY, "Subject": "fresh"})["id"]
    assert updated in sf.Task.updated(start, end)["ids"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.deleted(NOW - timedelta(days=16), end)
    assert raised.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_the_recycle_bin_purges_after_15_days(running: RunningSandbox, sf: Salesforce) -> None:
    control(running, "salesforce/profile", "realistic")
    victim = sf.Account.create({"Name": "Recycled"})["id"]
    sf.Account.delete(victim)
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{victim}'"
    assert sf.query_all(soql, include_deleted=True)["records"][0]["IsDeleted"] is True
    assert sf.query_all(soql)["totalSize"] == 0
    control(running, "clock", {"now": (NOW + timedelta(days=16)).isoformat()})
    assert sf.query_all(soql, include_deleted=True)["totalSize"] == 0  # purged: gone from every query


def test_emptying_the_recycle_bin_from_the_control_surface(running: RunningSandbox, sf: Salesforce) -> None:
    victim = sf.Account.create({"Name": "Emptied"})["id"]
    sf.Account.delete(victim)
    assert control(running, "salesforce/recycle_bin/empty")["purged"]["Account"] >= 1
    assert (
        sf.query_all(f"SELECT Id FROM Account WHERE Id = '{victim}'", include_deleted=True)["totalSize"] == 0
    )


def test_old_activities_are_archived_hidden_from_query(start_sandbox: StartSandbox) -> None:
    old = {"Id": "00T000000000900AAA", "WhatId": MERCY, "OwnerId": DANA, "Subject": "ancient",
           "Status": "Completed", "IsClosed": True, "ActivityDate": "2024-01-10",
           "SystemModstamp": "2024-01-10T09:00:00.000+0000"}  # fmt: skip
    document = keyed_org()
    document["salesforce"]["Task"].append(old)
    document["salesforce"]["_profile"] = {"name": "realistic", "archive_after_days": 365}
    running = start_sandbox(document, name="archive.json")
    control(running, "clock", {"now": NOW.isoformat()})
    sf = login(running)
    soql = "SELECT Id, IsArchived FROM Task WHERE Subject = 'ancient'"
    assert sf.query(soql)["totalSize"] == 0
    assert sf.query_all(soql, include_deleted=True)["records"][0]["IsArchived"] is True
    control(running, "salesforce/profile", {"name": "realistic", "archive_after_days": None})  # knob off


# ---- restful and the Bulk APIs ---------------------------------------------------------------------------
def test_restful_and_bulk_answers(sf: Salesforce) -> None:
    assert "sobjects" in sf.restful("sobjects")
    with pytest.raises(SalesforceError) as raised:
        list(sf.bulk2.Account.query("SELECT Id FROM Account"))
    assert "API_DISABLED_FOR_ORG" in str(raised.value)
    job = requests.post(
        f"{sf.base_url.split('/services/')[0]}/services/async/59.0/job",
        json={"operation": "queryAll", "object": "Account", "contentType": "JSON"},
        headers={"X-SFDC-Session": sf.session_id},
        verify=sf.session.verify,
        timeout=10,
    )
    assert (job.status_code, job.json()["exceptionCode"]) == (400, "FeatureNotEnabled")


# ---- SOQL: date literals and OFFSET -----------------------------------------------------------------------
def test_date_literals_follow_the_sandbox_clock(running: RunningSandbox, sf: Salesforce) -> None:
    sf.Task.create({"WhatId": MERCY, "Subject": "dated today", "ActivityDate": "2026-03-01"})
    sf.Task.create({"WhatId": MERCY, "Subject": "dated yesterday", "ActivityDate": "2026-02-28"})
    sf.Task.create({"WhatId": MERCY, "Subject": "dated in january", "ActivityDate": "2026-01-15"})

    def subjects(where: str) -> list[str]:
        soql = f"SELECT Subject FROM Task WHERE Subject LIKE 'dated%' AND {where} ORDER BY ActivityDate"
        return [r["Subject"] for r in sf.query_all(soql)["records"]]

    assert subjects("ActivityDate = TODAY") == ["dated today"]
    assert subjects("ActivityDate = YESTERDAY") == ["dated yesterday"]
    assert subjects("ActivityDate = LAST_N_DAYS:1") == ["dated yesterday", "dated today"]
    assert subjects("ActivityDate = LAST_N_MONTHS:2") == ["dated in january", "dated yesterday"]  # not March
    assert subjects("ActivityDate < LAST_N_DAYS:30") == ["dated in january"]
    # A datetime field against the same literal: today's creations, by the frozen clock's day.
    assert len(sf.query_all("SELECT Id FROM Task WHERE CreatedDate = TODAY")["records"]) == 3


def test_offset_skips_rows_and_is_capped_at_2000(sf: Salesforce) -> None:
    ordered = [r["Id"] for r in sf.query_all("SELECT Id FROM Event ORDER BY Id LIMIT 10")["records"]]
    page = sf.query("SELECT Id FROM Event ORDER BY Id LIMIT 5 OFFSET 3")["records"]
    assert [r["Id"] for r in page] == ordered[3:8]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Id FROM Event OFFSET 2001")
    assert raised.value.content[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


def test_the_token_endpoint_takes_client_credentials_in_a_basic_header(running: RunningSandbox) -> None:
    credentials = running.sandbox.credentials
    answer = make_session(str(running.ca_path)).post(
        f"{running.https_url}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(credentials.salesforce_client_id, credentials.salesforce_client_secret),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    wrong = make_session(str(running.ca_path)).post(
        f"{running.https_url}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(credentials.salesforce_client_id, "not-the-secret"),
        timeout=10,
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_client")


class _LoginHostToSandbox(PinnedCASession):
    """simple-salesforce always logs in at https://login.salesforce.com; send that host to the sandbox."""

    def __init__(self, sandbox_url: str, ca_path: str) -> None:
        super().__init__()
        self.sandbox_url, self.verify = sandbox_url, ca_path

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return super().request(
            method, url.replace("https://login.salesforce.com", self.sandbox_url), *args, **kwargs
        )


def test_soap_login_with_username_password_and_security_token(running: RunningSandbox) -> None:
    credentials = running.sandbox.credentials
    session = _LoginHostToSandbox(running.https_url, str(running.ca_path))
    sf = Salesforce(
        username=credentials.salesforce_username,
        password=credentials.salesforce_password,
        security_token=credentials.salesforce_security_token,
        session=session,
        version="59.0",
    )
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] > 0
    with pytest.raises(SalesforceAuthenticationFailed) as raised:
        Salesforce(
            username=credentials.salesforce_username, password="wrong", security_token="", session=session
        )
    assert raised.value.code == "INVALID_LOGIN"
