"""Salesforce ingest end to end: the sandbox over real HTTPS, simple-salesforce, dlt, a real DuckDB file."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.errors import CrmAuthError, CrmRateLimitError, CrmSchemaError, CrmUnreachableError
from ingest.salesforce import sync_salesforce
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.salesforce.settings import SalesforceField
from ingest.sandbox import Fault, RunningSandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import salesforce_config
from tests.helpers import start_clock_at

FAST = 0.01  # retry backoff base in tests
T0 = "2026-01-05T09:00:00.000+0000"
T1 = "2026-02-01T10:30:00.250+0000"
USER = "005000000000001AAA"
TABLES = (
    "user",
    "account",
    "contact",
    "event",
    "task",
    "opportunity",
    "event_relation",
    "opportunity_contact_role",
)
# The hand-made org's "today": its delete (T1) is inside the Recycle Bin's 15 days, which the realistic
# profile purges after.
ORG_TODAY = datetime(2026, 2, 5, 12, tzinfo=UTC)


def account(n: int, stamp: str = T0, **values: Any) -> dict[str, Any]:
    record = {
        "Id": f"001{n:012d}AAA",
        "Name": f"Practice {n}",
        "Type": "Prospect",
        "OwnerId": USER,
        "ParentId": None,
        "CreatedDate": T0,
        "SystemModstamp": stamp,
        "IsDeleted": False,
    }
    return {**record, **values}


def hand_made_org() -> dict[str, Any]:
    """Every object, one deleted record, no custom fields (so their columns must still exist, null)."""
    acct1, acct2 = "001000000000001AAA", "001000000000002AAA"
    deleted = {"CreatedDate": T0, "SystemModstamp": T1, "IsDeleted": True}
    live = {"CreatedDate": T0, "SystemModstamp": T0, "IsDeleted": False}
    return {
        "salesforce": {
            "User": [
                {"Id": USER, "Name": "Dana Reyes", "Email": "dana@example.com", "IsActive": True,
                 "SystemModstamp": T0},
                {"Id": "005000000000002AAA", "Name": "Sam Ortiz", "Email": "sam@example.com",
                 "IsActive": False, "SystemModstamp": T1},
            ],
            "Account": [account(1, Type="Active Referral Source"), account(2, stamp=T1, ParentId=acct1)],
            "Contact": [
                {"Id": "003000000000001AAA", "AccountId": acct1, "Name": "Dr. Ann Lee", "Title": "Physician",
                 **live},
                {"Id": "003000000000002AAA", "AccountId": acct1, "Name": "Zoë Müller", "Title": None,
                 **deleted},
            ],
            "Event": [
                {"Id": "00U000000000001AAA", "AccountId": acct1, "WhatId": acct1, "OwnerId": USER,
                 "Type": "Visit", "Subject": "Lunch-and-learn", "ActivityDate": "2026-02-03",
                 "StartDateTime": "2026-02-03T12:00:00.000+0000", "WhoId": "003000000000001AAA", **live},
                {"Id": "00U000000000002AAA", "AccountId": None, "WhatId": acct2, "OwnerId": USER,
                 "Type": "Meeting", "Subject": "面談", "ActivityDate": None,
                 "StartDateTime": "2026-02-04T23:30:00.000-0200", **live},
            ],
            "Task": [
                {"Id": "00T000000000001AAA", "AccountId": acct2, "WhatId": acct2, "OwnerId": USER,
                 "Type": "Visit", "Subject": "Drop by", "Status": "Completed", "Priority": "Normal",
                 "ActivityDate": "2026-02-10", "IsClosed": True, "Description": "brought samples", **live},
            ],
            "Opportunity": [
                {"Id": "006000000000001AAA", "AccountId": acct1, "Name": "Referral – J. Doe",
                 "StageName": "Closed Won", **live},
            ],
            # Who was met and who referred (int_visit_attendees, int_referrals_by_contact).
            "EventRelation": [
                {"Id": "0RE000000000001AAA", "EventId": "00U000000000001AAA",
                 "RelationId": "003000000000001AAA", "IsInvitee": True, **live},
            ],
            "OpportunityContactRole": [
                {"Id": "00K000000000001AAA", "OpportunityId": "006000000000001AAA",
                 "ContactId": "003000000000001AAA", "IsPrimary": True, **live},
            ],
        }
    }  # fmt: skip


def snapshot(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw_salesforce table's rows, ordered by id (dlt's bookkeeping columns left out)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.sql("SELECT table_name FROM duckdb_tables() WHERE schema_name='raw_salesforce'")
        names = {r[0] for r in tables.fetchall()}
        result = {}
        for table in sorted(names & set(TABLES)):
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name='raw_salesforce' AND "
                    "table_name=? AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY column_index",
                    [table],
                ).fetchall()
            ]
            quoted = ", ".join(f'"{c}"' for c in columns)
            result[table] = con.sql(f'SELECT {quoted} FROM raw_salesforce."{table}" ORDER BY id').fetchall()
        return result


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def sync(running: RunningSandbox, warehouse: Path, **kwargs: Any):
    return sync_salesforce(salesforce_config(running), warehouse, retry_base_seconds=FAST, **kwargs)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def test_full_sync_lands_every_record_once_with_the_contract_types(start_sandbox, warehouse: Path) -> None:
    running = start_sandbox(hand_made_org())
    start_clock_at(running, ORG_TODAY)
    result = sync(running, warehouse)

    assert result.crm == "salesforce"
    assert result.rows_by_table == {
        "account": 2,
        "contact": 2,
        "event": 2,
        "event_relation": 1,
        "opportunity": 1,
        "opportunity_contact_role": 1,
        "task": 1,
        "user": 2,
    }
    assert result.api_calls == 1 + 8 + 8  # token, a describe and a single-page query per object
    types = dict(
        ((t, c), d)
        for t, c, d in query(
            warehouse,
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name='raw_salesforce'",
        )
    )
    assert types["account", "visit_cadence_days_c"] == "DOUBLE"  # absent in this org, still typed
    assert types["task", "cadence_task_key_c"] == "VARCHAR"
    assert types["event", "activity_date"] == "DATE"
    assert types["event", "start_date_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["user", "is_active"] == "BOOLEAN"
    assert ("user", "is_deleted") not in types
    rows = snapshot(warehouse)
    assert [r[0] for r in rows["account"]] == ["001000000000001AAA", "001000000000002AAA"]
    assert rows["account"][1][4] == "001000000000001AAA"  # parent_id
    assert rows["account"][0][5] is None  # visit_cadence_days_c
    assert rows["contact"][1][2:] == (  # the sandbox splits Name into FirstName / LastName as an org does
        "Zoë Müller", "Zoë", "Müller", None, None, datetime(2026, 1, 5, 9, tzinfo=UTC),
        datetime(2026, 2, 1, 10, 30, 0, 250000, tzinfo=UTC), True,
    )  # fmt: skip
    event2 = rows["event"][1]
    assert event2[5] == "面談" and event2[6] is None
    assert event2[7] == datetime(2026, 2, 5, 1, 30, tzinfo=UTC)  # -0200 offset converted to UTC
    assert rows["event"][0][6] == date(2026, 2, 3)
    assert rows["task"][0][9:12] == (True, "brought samples", None)
    assert [r[3] for r in rows["user"]] == [True, False]
    assert rows["event"][0][-1] == "003000000000001AAA"  # who_id
    assert rows["event_relation"][0][1:4] == ("00U000000000001AAA", "003000000000001AAA", True)
    assert rows["event_relation"][0][4:6] == (False, False)  # is_parent, is_what: defaulted on create
    role = rows["opportunity_contact_role"][0]
    assert role[1:5] == ("006000000000001AAA", "003000000000001AAA", None, True)


def test_unchanged_second_sync_makes_one_query_per_object_plus_the_delete_checks_and_changes_nothing(
    start_sandbox, warehouse: Path
) -> None:
    running = start_sandbox(hand_made_org())
    sync(running, warehouse)
    before = snapshot(warehouse)
    running.counters.clear()
    # The next night, a minute on: getDeleted's window starts where the last sync's clock stood (the
    # `Date` header, whole seconds), and a window that has not begun yet is asked for nothing.
    running.store.set_clock(lambda: datetime.now(UTC) + timedelta(minutes=1))

    result = sync(running, warehouse)

    # One query per object, the nightly Account key scan (one page), getDeleted for the other objects
    # that can be deleted (Contact, Event, EventRelation, Task, Opportunity, OpportunityContactRole;
    # not User): ingest/key_scan.py.
    assert running.counters["salesforce.query"] == 8 + 1
    assert running.counters["salesforce.get_deleted"] == 6
    assert running.counters["salesforce.query_more"] == 0
    assert set(result.rows_by_table.values()) == {0}
    assert snapshot(warehouse) == before


def test_incremental_sync_applies_exactly_the_updates_inserts_and_deletes(
    start_sandbox, warehouse: Path
) -> None:
    # The org has the optional custom field (null everywhere so far).
    accounts = [account(n, Visit_Cadence_Days__c=None) for n in range(1, 6)]
    running = start_sandbox({"salesforce": {"Account": accounts}})
    sync(running, warehouse, objects=["Account"])
    before = {r[0]: r for r in snapshot(warehouse)["account"]}
    sf = connect(salesforce_config(running)).sf

    sf.Account.update(account(2)["Id"], {"Name": "Practice 2 (renamed)", "Visit_Cadence_Days__c": 45})
    sf.Account.delete(account(3)["Id"])
    created = sf.Account.create({"Name": "New Practice", "Type": "Prospect", "OwnerId": USER})["id"]
    result = sync(running, warehouse, objects=["Account"])

    assert result.rows_by_table == {"account": 3}
    after = {r[0]: r for r in snapshot(warehouse)["account"]}
    assert set(after) == set(before) | {created}
    assert after[account(2)["Id"]][1] == "Practice 2 (renamed)" and after[account(2)["Id"]][5] == 45.0
    assert after[account(3)["Id"]][-1] is True  # deleted in the CRM: kept, flagged (is_deleted is last)
    assert after[created][1:3] == ("New Practice", "Prospect")
    changed = {account(2)["Id"], account(3)["Id"], created}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }


def test_rows_sharing_the_cursor_timestamp_across_pages_are_neither_lost_nor_duplicated(
    start_sandbox, warehouse: Path
) -> None:
    # 450 accounts with one modstamp (a bulk import) span three 200-record pages.
    running = start_sandbox({"salesforce": {"Account": [account(n) for n in range(1, 451)]}})
    first = sync(running, warehouse, objects=["Account"], page_size=200)
    assert first.rows_by_table == {"account": 450}
    assert running.counters["salesforce.query_more"] == 2

    # Two more records committed later with that same timestamp: a strict `>` cursor would skip them.
    running.store.set_clock(lambda: datetime(2026, 1, 5, 9, tzinfo=UTC))
    sf = connect(salesforce_config(running)).sf
    late = [sf.Account.create({"Name": f"Late {n}", "OwnerId": USER})["id"] for n in range(2)]
    second = sync(running, warehouse, objects=["Account"], page_size=200)

    assert second.rows_by_table == {"account": 2}
    assert query(warehouse, "SELECT count(*), count(DISTINCT id) FROM raw_salesforce.account") == [(452, 452)]
    assert query(warehouse, f"SELECT count(*) FROM raw_salesforce.account WHERE id IN {tuple(late)}") == [
        (2,)
    ]


@pytest.mark.parametrize(
    "kind", ["status_503", "status_429", "request_limit", "expired_session", "drop_connection"]
)
def test_each_injected_fault_is_survived_with_identical_data(
    start_sandbox, tmp_path: Path, kind: str
) -> None:
    org = {"salesforce": {"Account": [account(n, Name=f"Clinic {n}") for n in range(1, 451)]}}
    running = start_sandbox(org)
    expected = {(r["Id"], r["Name"]) for r in org["salesforce"]["Account"]}
    fault = running.sandbox.faults.add(
        Fault(kind=kind, endpoint="salesforce.query_more", after=1, retry_after=0)
    )

    result = sync(running, tmp_path / "w.duckdb", objects=["Account"], page_size=200)

    assert fault.fired == 1
    assert running.counters["salesforce.query_more"] == 3  # two pages, one of them fetched twice
    assert result.rows_by_table == {"account": 450}
    assert set(query(tmp_path / "w.duckdb", "SELECT id, name FROM raw_salesforce.account")) == expected


@pytest.mark.parametrize(
    ("kind", "error"), [("status_503", CrmUnreachableError), ("status_429", CrmRateLimitError)]
)
def test_exhausted_retries_fail_in_one_line_and_leave_warehouse_and_cursor_unchanged(
    start_sandbox, warehouse: Path, kind: str, error: type[Exception]
) -> None:
    running = start_sandbox({"salesforce": {"Account": [account(n) for n in range(1, 451)]}})
    sync(running, warehouse, page_size=200)
    before = snapshot(warehouse)
    assert before["event"] == []  # objects the org has no records of still get their (typed) table
    sf = connect(salesforce_config(running)).sf
    renamed = sf.Account.update(account(7)["Id"], {"Name": "Renamed"})
    assert renamed == 204
    running.sandbox.faults.add(
        Fault(kind=kind, endpoint="salesforce.query*", after=2, times=100, retry_after=0)
    )

    with pytest.raises(error) as failure:
        sync(running, warehouse, page_size=200)

    assert "\n" not in str(failure.value) and "after 6 tries" in str(failure.value)
    assert snapshot(warehouse) == before
    running.sandbox.faults.clear()
    recovered = sync(running, warehouse, page_size=200)  # the cursor did not move: the change still arrives
    assert recovered.rows_by_table["account"] == 1
    assert query(warehouse, f"SELECT name FROM raw_salesforce.account WHERE id='{account(7)['Id']}'") == [
        ("Renamed",)
    ]


def test_configuration_errors_are_one_line_secret_free_and_leave_the_warehouse_unchanged(
    start_sandbox, warehouse: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    running = start_sandbox(hand_made_org())
    sync(running, warehouse)
    before = snapshot(warehouse)
    secret = "wrong-secret-do-not-log-7f3a"

    with pytest.raises(CrmAuthError) as auth:
        sync_salesforce(salesforce_config(running, client_secret=secret), warehouse)
    assert str(auth.value) == (
        "Salesforce rejected the client credentials (invalid_client): "
        "check SOURCES__SALESFORCE__CLIENT_ID / CLIENT_SECRET"
    )

    with pytest.raises(CrmUnreachableError) as unreachable:
        sync_salesforce(
            salesforce_config(running, login_url="https://127.0.0.1:9"), warehouse, retry_base_seconds=FAST
        )
    assert "https://127.0.0.1:9" in str(unreachable.value)
    assert "SOURCES__SALESFORCE__LOGIN_URL" in str(unreachable.value)

    with pytest.raises(CrmSchemaError) as schema:
        sync(running, warehouse, extra_fields={"Account": [SalesforceField("Territory__c")]})
    assert "Account has no field Territory__c" in str(schema.value)

    for failure in (auth, unreachable, schema):
        assert "\n" not in str(failure.value)
    assert snapshot(warehouse) == before
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err + str(auth.value) + str(unreachable.value)
    tokens = running.sandbox.apis["salesforce"].sessions
    for value in (secret, running.sandbox.credentials.salesforce_client_secret, *tokens):
        assert value not in logged


def test_password_grant_and_retry_policy_reuse(start_sandbox) -> None:
    running = start_sandbox(hand_made_org())
    credentials = running.sandbox.credentials
    config = salesforce_config(
        running, username=credentials.salesforce_username, password=credentials.salesforce_password
    )
    client = connect(config, RetryPolicy(base_seconds=FAST))
    running.sandbox.faults.add(Fault(kind="expired_session", endpoint="salesforce.query"))

    result = client.call(lambda sf: sf.query("SELECT Id FROM Account"))

    assert [r["Id"] for r in result["records"]] == ["001000000000001AAA", "001000000000002AAA"]
    assert running.counters["salesforce.token"] == 2  # logged in again after the expired session


def test_generated_org_lands_every_record_exactly_once(start_sandbox, warehouse: Path) -> None:
    org = generate_org(accounts=300, seed=11, visits=3000, crms=("salesforce",), anchor_date=date(2026, 3, 1))
    running = start_sandbox(org)
    start_clock_at(running, datetime(2026, 3, 1, tzinfo=UTC))  # the org's today: its deletes are in the bin

    result = sync(running, warehouse, page_size=500, progress=True)

    sobjects = ("User", "Account", "Contact", "Event", "Task", "Opportunity", "EventRelation",
                "OpportunityContactRole")  # fmt: skip
    for sobject, table in zip(sobjects, TABLES, strict=True):
        records = org["salesforce"][sobject]
        assert result.rows_by_table[table] == len(records), table
        assert query(warehouse, f'SELECT count(*), count(DISTINCT id) FROM raw_salesforce."{table}"') == [
            (len(records), len(records))
        ]
    deleted = sum(r.get("IsDeleted") is True for r in org["salesforce"]["Event"])
    assert query(warehouse, "SELECT count(*) FROM raw_salesforce.event WHERE is_deleted") == [(deleted,)]
