"""The sandbox's Salesforce REST API, driven by the unmodified simple-salesforce client over HTTPS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from ingest.http import make_session
from ingest.sandbox import Fault, OrgStore, Request, RunningSandbox, make_sandbox, serve_sandbox
from ingest.sandbox.core.clock import running_from
from tests.conftest import StartSandbox

DANA, ROBIN = "005000000000001AAA", "005000000000002AAA"
MERCY, LAKESIDE, CLINIC, OAK, ZETA = (f"001{n:012d}AAA" for n in range(1, 6))
EVENT_COUNT = 4500  # every 10th is deleted: 4050 live
# The org's "today": its deletions are inside the Recycle Bin's 15 days (the realistic profile purges
# older ones), so queryAll still sees them. The fixtures start the sandbox clock here and let it run.
ORG_TODAY = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
DELETED_ON = "02-27"


def stamp(day: str, clock: str = "09:00:00") -> str:
    return f"2026-{day}T{clock}.000+0000"


def account(record_id: str, name: str, kind: str | None, modstamp: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": record_id,
        "Name": name,
        "Type": kind,
        "OwnerId": DANA,
        "ParentId": None,
        "CreatedDate": stamp("01-05"),
        "SystemModstamp": modstamp,
        "IsDeleted": False,
        **extra,
    }


def event(index: int) -> dict[str, Any]:
    return {
        "Id": f"00U{index:012d}AAA",
        "AccountId": MERCY,
        "WhatId": MERCY,
        "OwnerId": DANA,
        "Type": "Visit",
        "Subject": f"Visit {index}",
        "ActivityDate": "2026-02-03",
        "StartDateTime": stamp("02-03", "12:00:00"),
        "SystemModstamp": stamp(DELETED_ON if index % 10 == 0 else "02-03"),  # a delete moves the stamp
        "IsDeleted": index % 10 == 0,
    }


def task(record_id: str, activity_date: str | None, status: str) -> dict[str, Any]:
    return {
        "Id": record_id,
        "WhatId": MERCY,
        "OwnerId": DANA,
        "Subject": f"Call {record_id[-7:-3]}",
        "Type": None,
        "Status": status,
        "Priority": "Normal",
        "ActivityDate": activity_date,
        "IsClosed": status == "Completed",
        "SystemModstamp": stamp("01-05"),
        "IsDeleted": False,
    }


def org(task_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "salesforce": {
            "User": [
                {"Id": DANA, "Name": "Dana Reyes", "Email": "dana@example.com", "IsActive": True},
                {"Id": ROBIN, "Name": "Robin Park", "Email": "robin@example.com", "IsActive": False},
            ],
            "Account": [
                account(MERCY, "Mercy General", "Prospect", stamp("01-05"), Visit_Cadence_Days__c=30),
                account(LAKESIDE, "Lakeside Family Practice", "Customer", stamp("02-01", "10:00:00")),
                account(CLINIC, "mercy clinic", None, stamp("03-01", "00:00:00")),
                {**account(OAK, "Oak Dental", "Customer", stamp(DELETED_ON)), "IsDeleted": True},
                account(ZETA, "Zeta 100% Care", "Partner", stamp("03-02")),
            ],
            "Event": [event(i) for i in range(EVENT_COUNT)],
            "Task": [
                {**task("00T000000000001AAA", "2026-02-10", "Not Started"), **(task_extra or {})},
                task("00T000000000002AAA", "2026-02-20", "Completed"),
                task("00T000000000003AAA", None, "Not Started"),
            ],
        }
    }


def token(running: RunningSandbox, **form: str) -> dict[str, Any]:
    session = make_session(str(running.ca_path))
    response = session.post(f"{running.https_url}/services/oauth2/token", data=form)
    return {"status": response.status_code, **response.json()}


def client_credentials(running: RunningSandbox) -> dict[str, str]:
    credentials = running.sandbox.credentials
    return {
        "grant_type": "client_credentials",
        "client_id": credentials.salesforce_client_id,
        "client_secret": credentials.salesforce_client_secret,
    }


def login(running: RunningSandbox) -> Salesforce:
    granted = token(running, **client_credentials(running))
    return Salesforce(
        instance_url=granted["instance_url"],
        session_id=granted["access_token"],
        session=make_session(str(running.ca_path)),
        version="59.0",
    )


@pytest.fixture
def running(start_sandbox: StartSandbox) -> RunningSandbox:
    running = start_sandbox(org())
    running.store.set_clock(running_from(ORG_TODAY))
    return running


@pytest.fixture
def sf(running: RunningSandbox) -> Salesforce:
    return login(running)


@pytest.fixture(scope="module")
def shared_sf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Salesforce]:
    """One in-memory org for the read-only query tests (they neither write nor read counters)."""
    store = OrgStore(org())
    store.set_clock(running_from(ORG_TODAY))
    with serve_sandbox(store, ca_dir=tmp_path_factory.mktemp("shared-ca")) as running:
        yield login(running)


def names(sf: Salesforce, soql: str) -> list[str]:
    return [record["Name"] for record in sf.query(soql)["records"]]


# ---- OAuth -------------------------------------------------------------------------------------


def test_token_grants_and_their_failures(running: RunningSandbox) -> None:
    good = client_credentials(running)
    granted = token(running, **good)
    assert granted["status"] == 200
    assert granted["instance_url"] == running.https_url
    assert granted["token_type"] == "Bearer"
    assert granted["access_token"] in running.sandbox.apis["salesforce"].sessions

    credentials = running.sandbox.credentials
    password_grant = {
        **good,
        "grant_type": "password",
        "username": credentials.salesforce_username,
        "password": credentials.salesforce_password,
    }
    assert token(running, **password_grant)["status"] == 200
    assert token(running, **{**password_grant, "password": "wrong"}) == {
        "status": 400,
        "error": "invalid_grant",
        "error_description": "authentication failure",
    }
    assert token(running, **{**good, "client_secret": "wrong"})["error"] == "invalid_client"
    assert token(running, **{**good, "grant_type": "authorization_code"})["error"] == "unsupported_grant_type"
    assert running.counters["salesforce.token"] == 5


# ---- queries -----------------------------------------------------------------------------------


def test_query_pages_follow_next_records_url_with_batch_size(running: RunningSandbox, sf: Salesforce) -> None:
    running.counters.clear()
    result = sf.query_all("SELECT Id, Subject FROM Event", headers={"Sforce-Query-Options": "batchSize=1000"})

    assert result["totalSize"] == 4050
    ids = [record["Id"] for record in result["records"]]
    assert len(set(ids)) == 4050 and "00U000000000010AAA" not in ids  # deleted ones are hidden
    first = result["records"][0]
    assert list(first) == ["attributes", "Id", "Subject"]
    assert first["attributes"] == {
        "type": "Event",
        "url": "/services/data/v59.0/sobjects/Event/00U000000000001AAA",
    }
    # 1000 + 1000 + 1000 + 1000 + 50: one query call, four follow-ups.
    assert running.counters["salesforce.query"] == 1
    assert running.counters["salesforce.query_more"] == 4

    default = sf.query("SELECT Id FROM Event")
    assert (len(default["records"]), default["done"]) == (2000, False)
    assert default["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert default["nextRecordsUrl"].endswith("-2000")
    too_small = sf.query("SELECT Id FROM Event", headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(too_small["records"]) == 200  # Salesforce's minimum batch size


def test_cursor_is_a_snapshot_taken_at_query_time(sf: Salesforce) -> None:
    first = sf.query(
        "SELECT Id, Subject FROM Event ORDER BY Subject DESC",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    later_id = "00U000000000001AAA"  # "Visit 1" sorts last among the live subjects
    sf.Event.update(later_id, {"Subject": "Renamed after the query"})
    sf.Event.delete("00U000000000002AAA")

    records = list(first["records"])
    page = first
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        records.extend(page["records"])
    assert len(records) == 4050
    assert records[-1] == {**records[-1], "Id": later_id, "Subject": "Visit 1"}
    assert sf.query("SELECT COUNT() FROM Event")["totalSize"] == 4049


def test_query_all_includes_deleted_records(running: RunningSandbox, sf: Salesforce) -> None:
    everything = sf.query_all("SELECT Id, IsDeleted FROM Event", include_deleted=True)
    assert everything["totalSize"] == EVENT_COUNT
    assert sum(record["IsDeleted"] for record in everything["records"]) == 450
    assert names(sf, "SELECT Name FROM Account WHERE IsDeleted = true") == []
    deleted = sf.query_all("SELECT Name FROM Account WHERE IsDeleted = true", include_deleted=True)
    assert [record["Name"] for record in deleted["records"]] == ["Oak Dental"]
    assert running.counters["salesforce.query"] == 3  # queryAll counts as a query


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name LIKE 'mercy%' ORDER BY Name", ["mercy clinic", "Mercy General"]),  # case-insensitive
        ("Name = 'MERCY GENERAL'", ["Mercy General"]),
        ("Name LIKE '%100\\%%'", ["Zeta 100% Care"]),
        ("Name LIKE 'Oak%'", []),  # deleted
        ("Type IN ('Customer', 'Partner') ORDER BY Name", ["Lakeside Family Practice", "Zeta 100% Care"]),
        ("Type NOT IN ('Customer') ORDER BY Name", ["mercy clinic", "Mercy General", "Zeta 100% Care"]),
        ("Type != 'Customer' ORDER BY Name", ["mercy clinic", "Mercy General", "Zeta 100% Care"]),
        ("Type = null", ["mercy clinic"]),
        ("(Type = 'Customer' OR Type = null) AND NOT Name LIKE 'Lake%'", ["mercy clinic"]),
        (
            "SystemModstamp > 2026-01-31T00:00:00Z AND SystemModstamp <= 2026-03-01T00:00:00.000+0000"
            " ORDER BY Name",
            ["Lakeside Family Practice", "mercy clinic"],
        ),
        (
            "SystemModstamp = 2026-02-01T11:00:00+01:00",
            ["Lakeside Family Practice"],
        ),  # an instant, not a string
        ("Visit_Cadence_Days__c > 20", ["Mercy General"]),
        ("Id IN ('001000000000005AAA', '001000000000004AAA')", ["Zeta 100% Care"]),
        ("OwnerId = '005000000000001AAA' ORDER BY Name DESC LIMIT 2", ["Zeta 100% Care", "Mercy General"]),
    ],
)
def test_where_clauses(shared_sf: Salesforce, where: str, expected: list[str]) -> None:
    assert names(shared_sf, f"SELECT Name FROM Account WHERE {where}") == expected


def test_dates_booleans_and_null_ordering(shared_sf: Salesforce) -> None:
    sf = shared_sf

    def subjects(soql: str) -> list[str]:
        return [record["Subject"] for record in sf.query(soql)["records"]]

    assert subjects("SELECT Subject FROM Task WHERE ActivityDate < 2026-02-15") == ["Call 0001"]
    assert subjects("SELECT Subject FROM Task ORDER BY ActivityDate") == [
        "Call 0003",
        "Call 0001",
        "Call 0002",
    ]
    assert subjects("SELECT Subject FROM Task ORDER BY ActivityDate DESC") == [
        "Call 0002",
        "Call 0001",
        "Call 0003",
    ]
    assert subjects("select subject from task order by activitydate desc nulls first limit 1") == [
        "Call 0003"
    ]
    assert subjects("SELECT Subject FROM Task WHERE IsClosed = true") == ["Call 0002"]
    assert names(sf, "SELECT Name FROM User WHERE IsActive = false") == ["Robin Park"]
    assert sf.query("SELECT COUNT() FROM Account") == {"totalSize": 4, "done": True, "records": []}


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
        "SELECT Owner.Name FROM Account",
        "SELECT Id FROM Account GROUP BY Type",
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
        "SELECT Id FROM Account WHERE CreatedDate = THIS_FISCAL_QUARTER",
        "SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'",
        "SELECT Id FROM Account LIMIT 5 OFFSET -1",
        "SELECT Id FROM Widget__c",
        "SELECT Id FROM Account WHERE Name = 'unterminated",
        "SELECT FIELDS(ALL) FROM Account",
    ],
)
def test_unsupported_soql_is_refused(shared_sf: Salesforce, soql: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        shared_sf.query(soql)
    assert raised.value.content[0]["errorCode"] == "MALFORMED_QUERY"


@pytest.mark.parametrize(
    ("soql", "field"),
    [
        ("SELECT Id, Nmae FROM Account", "Nmae"),
        ("SELECT Id FROM Account WHERE Cadence_Task_Key__c = 'x'", "Cadence_Task_Key__c"),
        ("SELECT Id FROM Account ORDER BY Rating", "Rating"),
        ("SELECT IsDeleted FROM User", "IsDeleted"),
        ("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01", "CreatedDate"),  # date against a datetime
        ("SELECT Id FROM Account WHERE Visit_Cadence_Days__c = '30'", "Visit_Cadence_Days__c"),
    ],
)
def test_unknown_fields_and_type_mismatches_are_invalid_field(
    shared_sf: Salesforce, soql: str, field: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        shared_sf.query(soql)
    error = raised.value.content[0]
    assert error["errorCode"] == "INVALID_FIELD"
    assert f"'{field}'" in error["message"]


def test_expired_query_locator(shared_sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        shared_sf.query_more("/services/data/v59.0/query/01g000000099999-2000", identifier_is_url=True)
    assert raised.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


# ---- describe ----------------------------------------------------------------------------------


def describe_fields(sf: Salesforce, sobject: str) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in getattr(sf, sobject).describe()["fields"]}


def test_describe_lists_standard_and_org_custom_fields(start_sandbox: StartSandbox, sf: Salesforce) -> None:
    account_fields = describe_fields(sf, "Account")
    cadence = account_fields["Visit_Cadence_Days__c"]
    assert (cadence["type"], cadence["custom"], cadence["updateable"], cadence["nillable"]) == (
        "double",
        True,
        True,
        True,
    )
    assert account_fields["SystemModstamp"]["type"] == "datetime"
    assert account_fields["SystemModstamp"]["updateable"] is False
    assert account_fields["OwnerId"]["referenceTo"] == ["User"]
    assert "Cadence_Task_Key__c" not in describe_fields(sf, "Task")
    assert "IsDeleted" not in describe_fields(sf, "User")
    assert describe_fields(sf, "Task")["IsClosed"]["updateable"] is False

    with_key = login(start_sandbox(org({"Cadence_Task_Key__c": "sf:001:next_visit_due"}), name="keyed.json"))
    key_field = describe_fields(with_key, "Task")["Cadence_Task_Key__c"]
    assert (key_field["type"], key_field["custom"], key_field["label"]) == (
        "string",
        True,
        "Cadence Task Key",
    )

    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/Widget__c/describe")  # Lead is standard; a custom object the org lacks is not


# ---- writes ------------------------------------------------------------------------------------


def freeze_clock(running: RunningSandbox, moment: str) -> None:
    fixed = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    running.store.set_clock(lambda: fixed)


def on_disk(running: RunningSandbox, sobject: str, record_id: str) -> dict[str, Any]:
    assert running.store.path is not None
    document = orjson.loads(running.store.path.read_bytes())
    return next(record for record in document["salesforce"][sobject] if record["Id"] == record_id)


def test_create_update_delete_set_modstamps(running: RunningSandbox, sf: Salesforce) -> None:
    # The strict clock (the naive profile's) orders writes under a frozen clock; realistic ties them
    # (conformance test_a_batch_write_shares_one_modstamp_and_a_frozen_clock_ties_writes).
    running.control("POST", "/__sandbox/salesforce/profile", {"strict_clock": True})
    freeze_clock(running, "2026-04-01T12:00:00")
    created = sf.Task.create({"WhatId": MERCY, "Subject": "Visit overdue", "ActivityDate": "2026-04-08"})
    assert created["success"] is True and created["id"].startswith("00T")
    task_id = created["id"]
    fetched = sf.Task.get(task_id)
    assert {
        k: fetched[k] for k in ("Subject", "Status", "IsClosed", "IsDeleted", "CreatedDate", "SystemModstamp")
    } == {
        "Subject": "Visit overdue",
        "Status": "Not Started",
        "IsClosed": False,
        "IsDeleted": False,
        "CreatedDate": "2026-04-01T12:00:00.000+0000",
        "SystemModstamp": "2026-04-01T12:00:00.000+0000",
    }

    assert sf.Task.update(task_id, {"Status": "Completed"}) == 204
    persisted = on_disk(running, "Task", task_id)
    assert persisted["IsClosed"] is True
    assert persisted["SystemModstamp"] == "2026-04-01T12:00:00.001+0000"  # the clock never repeats a stamp
    assert persisted["CreatedDate"] == "2026-04-01T12:00:00.000+0000"

    assert sf.Task.delete(task_id) == 204
    assert on_disk(running, "Task", task_id)["IsDeleted"] is True
    assert sf.query(f"SELECT Id FROM Task WHERE Id = '{task_id}'")["totalSize"] == 0
    assert sf.query_all(f"SELECT Id FROM Task WHERE Id = '{task_id}'", include_deleted=True)["totalSize"] == 1
    with pytest.raises(SalesforceResourceNotFound) as raised:
        sf.Task.get(task_id)
    assert raised.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert (running.counters["salesforce.sobject_create"], running.counters["salesforce.sobject_update"]) == (
        1,
        1,
    )
    assert (running.counters["salesforce.sobject_get"], running.counters["salesforce.sobject_delete"]) == (
        2,
        1,
    )


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"Subject": "x", "Cadence_Task_Key__c": "k"}, "INVALID_FIELD"),  # not in this org
        ({"Subject": "x", "SystemModstamp": "2026-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"Subject": "x", "IsClosed": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"Subject": "x", "ActivityDate": "next week"}, "INVALID_TYPE_ON_FIELD_IN_RECORD"),
    ],
)
def test_invalid_writes_are_refused(
    running: RunningSandbox, sf: Salesforce, values: dict[str, Any], code: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Task.create(values)
    assert raised.value.content[0]["errorCode"] == code
    assert len(running.store.salesforce["Task"]) == 3


def composite(
    sf: Salesforce, method: str, records: list[dict[str, Any]], all_or_none: bool
) -> list[dict[str, Any]]:
    return sf.restful(
        "composite/sobjects", method=method, json={"allOrNone": all_or_none, "records": records}
    )


def new_task(subject: str, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Task"}, "WhatId": MERCY, "Subject": subject, **extra}


def test_composite_create_and_update(running: RunningSandbox, sf: Salesforce) -> None:
    created = composite(sf, "POST", [new_task("a"), new_task("b")], all_or_none=True)
    assert [result["success"] for result in created] == [True, True]
    ids = [result["id"] for result in created]
    assert [running.store.salesforce["Task"][i]["Subject"] for i in ids] == ["a", "b"]

    updates = [
        {"attributes": {"type": "Task"}, "Id": ids[0], "Status": "Completed"},
        {"attributes": {"type": "Task"}, "Id": ids[1], "Subject": "b2"},
    ]
    assert composite(sf, "PATCH", updates, all_or_none=False) == [
        {"id": ids[0], "success": True, "errors": []},
        {"id": ids[1], "success": True, "errors": []},
    ]
    assert running.store.salesforce["Task"][ids[0]]["IsClosed"] is True
    assert running.store.salesforce["Task"][ids[1]]["Subject"] == "b2"
    assert running.counters["salesforce.composite_sobjects"] == 2


def test_composite_all_or_none_rolls_back(running: RunningSandbox, sf: Salesforce) -> None:
    results = composite(
        sf, "POST", [new_task("a"), new_task("b", Bogus__c=1), new_task("c")], all_or_none=True
    )
    assert [result["success"] for result in results] == [False, False, False]
    assert [result["errors"][0]["statusCode"] for result in results] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "INVALID_FIELD",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    ]
    assert results[1]["errors"][0]["fields"] == ["Bogus__c"]
    assert len(running.store.salesforce["Task"]) == 3


def test_composite_injected_record_failure(running: RunningSandbox, sf: Salesforce) -> None:
    running.sandbox.faults.add(Fault(kind="fail_record", endpoint="salesforce.composite_sobjects", record=1))
    results = composite(sf, "POST", [new_task("a"), new_task("b"), new_task("c")], all_or_none=False)
    assert [result["success"] for result in results] == [True, False, True]
    assert results[1] == {
        "id": None,
        "success": False,
        "errors": [
            {"statusCode": "UNABLE_TO_LOCK_ROW", "message": results[1]["errors"][0]["message"], "fields": []}
        ],
    }
    assert len(running.store.salesforce["Task"]) == 5
    # The fault fired once: the next batch goes through whole.
    assert [r["success"] for r in composite(sf, "POST", [new_task("d"), new_task("e")], False)] == [
        True,
        True,
    ]


def test_composite_refuses_more_than_200_records(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        composite(sf, "POST", [new_task(str(i)) for i in range(201)], all_or_none=False)
    assert raised.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


# ---- sessions ----------------------------------------------------------------------------------


def test_expired_session_then_relogin(running: RunningSandbox, sf: Salesforce) -> None:
    running.sandbox.faults.add(Fault(kind="expired_session", endpoint="salesforce.query"))
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")

    stale = make_session(str(running.ca_path)).get(
        f"{running.https_url}/services/data/v59.0/query/",
        params={"q": "SELECT Id FROM Account"},
        headers={"Authorization": f"Bearer {sf.session_id}"},
    )
    assert stale.status_code == 401
    assert stale.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    assert login(running).query("SELECT COUNT() FROM Account")["totalSize"] == 4


# ---- throughput (printed, not asserted) ----------------------------------------------------------


def test_print_server_side_paging_throughput() -> None:
    count = 100_000
    # Paging speed, not the Recycle Bin: the naive profile keeps every deleted event queryAll pages over.
    events = [event(i) for i in range(count)]
    sandbox = make_sandbox(OrgStore({"salesforce": {"_profile": "naive", "Event": events}}))
    bearer = {"authorization": f"Bearer {sandbox.apis['salesforce'].issue_session()}"}
    soql = "SELECT Id, AccountId, OwnerId, Subject, ActivityDate, StartDateTime, SystemModstamp FROM Event"
    path, query, served, elapsed = "/services/data/v59.0/queryAll/", {"q": [soql]}, 0, 0.0
    while path:
        started = time.process_time()
        response = sandbox.handle(Request("GET", path, query, bearer, b""))
        elapsed += time.process_time() - started
        body = orjson.loads(response.body)
        served += len(body["records"])
        path, query = body.get("nextRecordsUrl"), {}
    assert served == count
    print(f"\nsandbox query paging: {count / elapsed:,.0f} records/s (server CPU time, 7 fields)")
