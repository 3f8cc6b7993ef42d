"""HubSpot ingest end to end: the sandbox over real HTTP, dlt into a real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.errors import CrmAuthError, CrmUnreachableError
from ingest.hubspot import HubSpotClient, sync_hubspot
from ingest.sandbox import Fault, RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag, start_clock_at

FAST = 0.001  # retry base delay: the behaviour under test, without the waiting
TABLES = ("companies", "contacts", "meetings", "tasks", "deals", "owners")
OBJECTS = ("companies", "contacts", "meetings", "tasks", "deals")


def _obj(record_id: str, modified: str, archived: bool = False, links: list[str] | None = None, **props: Any):
    record: dict[str, Any] = {
        "id": record_id,
        "properties": {"hs_lastmodifieddate": modified, **props},
        "createdAt": "2025-11-01T00:00:00.000Z",
        "updatedAt": modified,
        "archived": archived,
    }
    if archived:
        record["archivedAt"] = modified
    if links is not None:
        record["associations"] = {"companies": links}
    return record


# The small portal's "today": its archived company (Mar 1) is inside HubSpot's 90 days of restore,
# which the realistic profile purges after. Tests start the sandbox clock here and let it run.
ORG_TODAY = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def start_small_org(start_sandbox: StartSandbox, name: str = "org.json") -> RunningSandbox:
    running = start_sandbox(small_org(), name=name)
    start_clock_at(running, ORG_TODAY)
    return running


def small_org() -> dict[str, Any]:
    stamp = "2026-03-02T10:00:00.000Z"
    return {
        "hubspot": {
            "owners": [
                {
                    "id": "101",
                    "email": "sam@example.com",
                    "firstName": "Sam",
                    "lastName": "Ortiz",
                    "updatedAt": "2026-01-01T00:00:00.000Z",
                },
                {
                    "id": "102",
                    "email": "kim@example.com",
                    "firstName": "Kim",
                    "lastName": "Lee",
                    "updatedAt": "2026-01-02T00:00:00.000Z",
                },
            ],
            "companies": [
                _obj(
                    "9001",
                    stamp,
                    name="Lakeside Family Practice",
                    lifecyclestage="customer",
                    hubspot_owner_id="101",
                    visit_cadence_days="45",
                    createdate="2025-11-01T00:00:00.000Z",
                ),
                _obj(
                    "9002",
                    "2026-03-02T10:00:00.000Z",
                    name="Mercy General",
                    lifecyclestage="lead",
                    hubspot_owner_id="102",
                    createdate="2025-12-01T08:30:00.000Z",
                ),
                _obj(
                    "10",
                    "2026-03-01T00:00:00.000Z",
                    archived=True,
                    name="Closed Clinic",
                    lifecyclestage="customer",
                ),
            ],
            "contacts": [
                _obj(
                    "501",
                    stamp,
                    links=["9002", "9001"],
                    firstname="Ann",
                    lastname="Lee",
                    jobtitle="Physician",
                    email="ann@example.com",
                    createdate="2025-11-02T00:00:00.000Z",
                ),
                _obj(
                    "502",
                    stamp,
                    links=[],
                    firstname="Bo",
                    lastname="Kay",
                    createdate="2025-11-03T00:00:00.000Z",
                ),
            ],
            "meetings": [
                _obj(
                    "701",
                    "2026-03-03T09:00:00.000Z",
                    links=["9001"],
                    hs_meeting_title="Lunch-and-learn",
                    hs_meeting_start_time="2026-03-01T15:00:00.000Z",
                    hs_timestamp="2026-03-01T15:00:00.000Z",
                    hs_meeting_outcome="COMPLETED",
                    hubspot_owner_id="101",
                    hs_createdate="2026-02-20T00:00:00.000Z",
                ),
            ],
            "tasks": [
                _obj(
                    "801",
                    stamp,
                    links=["9002"],
                    hs_task_subject="Call back",
                    hs_task_status="NOT_STARTED",
                    hs_task_priority="HIGH",
                    hs_timestamp="2026-03-05T00:00:00.000Z",
                    hubspot_owner_id="102",
                    hs_createdate="2026-03-01T00:00:00.000Z",
                ),
            ],
            "deals": [
                _obj(
                    "601",
                    stamp,
                    links=["9001"],
                    dealname="Referral – J. Doe",
                    dealstage="appointmentscheduled",
                    createdate="2026-02-01T00:00:00.000Z",
                ),
            ],
        }
    }


def rows(warehouse: Path, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(f"select {columns} from raw_hubspot.{table} order by id").fetchall()


def snapshot(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's data columns (dlt's bookkeeping columns left out)."""
    result = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in TABLES:
            names = [
                c[0]
                for c in con.sql(f"describe raw_hubspot.{table}").fetchall()
                if not c[0].startswith("_dlt")
            ]
            result[table] = con.sql(
                f"select {', '.join(names)} from raw_hubspot.{table} order by id"
            ).fetchall()
    return result


def searches(sandbox: RunningSandbox) -> dict[str, int]:
    return {name: sandbox.counters[f"hubspot.search.{name}"] for name in OBJECTS}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_full_sync_lands_every_live_record_and_association_once(start_sandbox: StartSandbox, tmp_path: Path):
    sandbox = start_small_org(start_sandbox)
    warehouse = tmp_path / "warehouse.duckdb"

    result = sync_hubspot(hubspot_config(sandbox), warehouse, retry_base_seconds=FAST)

    assert result.rows_by_table == {
        "companies": 3,
        "contacts": 2,
        "meetings": 1,
        "tasks": 1,
        "deals": 1,
        "owners": 2,
    }
    assert result.api_calls == sandbox.counters["hubspot.total"]
    company_columns = (
        "id, name, lifecyclestage, hubspot_owner_id, visit_cadence_days, createdate, hs_lastmodifieddate, "
        "archived"
    )
    assert rows(warehouse, "companies", company_columns) == [
        # createdate unset: HubSpot reports the record's createdAt
        (
            "10",
            "Closed Clinic",
            "customer",
            None,
            None,
            ts("2025-11-01T00:00:00Z"),
            ts("2026-03-01T00:00:00Z"),
            True,
        ),
        (
            "9001",
            "Lakeside Family Practice",
            "customer",
            "101",
            45.0,
            ts("2025-11-01T00:00:00Z"),
            ts("2026-03-02T10:00:00Z"),
            False,
        ),
        (
            "9002",
            "Mercy General",
            "lead",
            "102",
            None,
            ts("2025-12-01T08:30:00Z"),
            ts("2026-03-02T10:00:00Z"),
            False,
        ),
    ]
    assert rows(warehouse, "contacts", "id, firstname, email, company_ids, archived") == [
        ("501", "Ann", "ann@example.com", "9001,9002", False),
        ("502", "Bo", None, "", False),
    ]
    assert rows(warehouse, "meetings", "id, hs_meeting_start_time, hs_meeting_outcome, company_ids") == [
        ("701", ts("2026-03-01T15:00:00Z"), "COMPLETED", "9001")
    ]
    # The portal has no cadence_task_key property: the column exists, null.
    assert rows(warehouse, "tasks", "id, hs_task_priority, cadence_task_key, company_ids") == [
        ("801", "HIGH", None, "9002")
    ]
    assert rows(warehouse, "deals", "id, dealname, company_ids") == [("601", "Referral – J. Doe", "9001")]
    assert rows(warehouse, "owners", "id, first_name, last_name, archived, updated_at") == [
        ("101", "Sam", "Ortiz", False, ts("2026-01-01T00:00:00Z")),
        ("102", "Kim", "Lee", False, ts("2026-01-02T00:00:00Z")),
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        types = dict(
            con.sql(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw_hubspot' and table_name = 'companies'"
            ).fetchall()
        )
    assert types["visit_cadence_days"] == "DOUBLE"
    # Registry matching: the standard address properties, and the optional npi this portal lacks (null).
    assert types["address"] == types["zip"] == types["npi"] == "VARCHAR"
    assert types["createdate"] == types["hs_lastmodifieddate"] == "TIMESTAMP WITH TIME ZONE"
    assert types["archived"] == "BOOLEAN"

    before = snapshot(warehouse)
    sandbox.counters.clear()
    again = sync_hubspot(hubspot_config(sandbox), warehouse, retry_base_seconds=FAST)

    assert again.rows_by_table == {}
    assert snapshot(warehouse) == before
    assert searches(sandbox) == dict.fromkeys(OBJECTS, 1)


def test_updates_new_records_and_archivals_arrive_incrementally(start_sandbox: StartSandbox, tmp_path: Path):
    sandbox = start_small_org(start_sandbox)
    warehouse = tmp_path / "warehouse.duckdb"
    sync_hubspot(hubspot_config(sandbox), warehouse, retry_base_seconds=FAST)

    api = HubSpotClient(hubspot_config(sandbox), retry_base_seconds=FAST)
    api.request(
        "POST",
        "/crm/v3/objects/companies/batch/update",
        json={"inputs": [{"id": "9002", "properties": {"lifecyclestage": "customer"}}]},
    )
    created = api.request(
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        json={
            "inputs": [
                {
                    "properties": {"firstname": "Cy", "lastname": "Ng"},
                    "associations": [
                        {
                            "to": {"id": "9002"},
                            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                        }
                    ],
                }
            ]
        },
    )
    new_contact = created["results"][0]["id"]
    api.request("DELETE", "/crm/v3/objects/meetings/701")
    api.close()
    after_search_lag(sandbox)  # the day's edits are searchable by night

    result = sync_hubspot(hubspot_config(sandbox), warehouse, retry_base_seconds=FAST)

    assert result.rows_by_table == {"companies": 1, "contacts": 1, "meetings": 1}
    assert rows(warehouse, "companies", "id, lifecyclestage, archived") == [
        ("10", "customer", True),
        ("9001", "customer", False),
        ("9002", "customer", False),
    ]
    assert rows(warehouse, "contacts", "id, firstname, company_ids") == [
        ("501", "Ann", "9001,9002"),
        ("502", "Bo", ""),
        (new_contact, "Cy", "9002"),
    ]
    assert rows(warehouse, "meetings", "id, hs_meeting_title, archived, company_ids") == [
        ("701", "Lunch-and-learn", True, "9001")
    ]


def _crowded_org(total: int, crowded: int) -> dict[str, Any]:
    """`total` companies: `crowded` share one modstamp, the rest are one second apart around them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    shared = (start + timedelta(seconds=3000)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    companies = []
    for n in range(total):
        second = n if n < 3000 else 3000 if n < 3000 + crowded else n - crowded + 1
        stamp = (
            shared
            if second == 3000
            else (start + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        )
        companies.append(_obj(str(100_000 + n), stamp, name=f"Practice {n}", lifecyclestage="lead"))
    return {"hubspot": {"companies": companies}}


def test_25000_changed_companies_land_past_the_search_cap(start_sandbox: StartSandbox, tmp_path: Path):
    # A first sync lists (no cap); the search windows are the incrementals'. So the warehouse is first
    # synced from a portal holding one older company, then from one where 25,000 companies changed
    # since; 10,500 share one modstamp, so both the modstamp windows and the walk by id are needed.
    older = _obj("99", "2025-12-31T00:00:00.000Z", name="Older Practice", lifecyclestage="lead")
    first = start_sandbox({"hubspot": {"companies": [older]}}, name="first.json")
    warehouse = tmp_path / "warehouse.duckdb"
    sync_hubspot(hubspot_config(first), warehouse, objects=["companies"], retry_base_seconds=FAST)
    sandbox = start_sandbox(_crowded_org(25_000, crowded=10_500))

    result = sync_hubspot(hubspot_config(sandbox), warehouse, objects=["companies"], retry_base_seconds=FAST)

    # 25,000 changed, plus the older company: absent from this portal, the nightly companies key scan
    # marks it archived (ingest/hubspot/deletes.py).
    assert result.rows_by_table == {"companies": 25_001}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("select count(*), count(distinct id) from raw_hubspot.companies").fetchall() == [
            (25_001, 25_001)
        ]
    # No search crossed the cap (the sandbox answers 400, failing the sync). Calls, hand-counted:
    # window 1 reads 3,000 + 7,000 crowded (50 pages); window 2 (GTE the crowded stamp) re-reads those
    # 7,000 and 3,000 more (50); the id walk reads the last 500 (3); GT the stamp: 10,000 (50); GTE the
    # last stamp: 1,500 + 1 re-read (8). 161 against the 125-page minimum.
    assert sandbox.counters["hubspot.search.companies"] == 161


def test_429_storm_503s_and_dropped_connections_end_with_identical_data(
    start_sandbox: StartSandbox, tmp_path: Path
):
    clean = start_small_org(start_sandbox, "clean.json")
    for _ in range(2):  # the first sync lists, the second searches and re-reads associations
        sync_hubspot(hubspot_config(clean), tmp_path / "clean.duckdb", retry_base_seconds=FAST)

    stormy = start_small_org(start_sandbox, "stormy.json")
    first_sync = (
        Fault(kind="status_429", endpoint="hubspot.list.*", times=5, retry_after=0),
        Fault(kind="drop_connection", endpoint="hubspot.list.*", times=2),
        Fault(kind="status_503", endpoint="hubspot.owners", times=1),
    )
    second_sync = (
        Fault(kind="status_429", endpoint="hubspot.search.*", times=5, retry_after=0),
        Fault(kind="status_503", endpoint="hubspot.associations.*", times=3),
    )
    for faults in (first_sync, second_sync):
        for fault in faults:
            stormy.sandbox.faults.add(fault)
        result = sync_hubspot(hubspot_config(stormy), tmp_path / "stormy.duckdb", retry_base_seconds=FAST)
        assert result.api_calls == stormy.counters["hubspot.total"]
        stormy.counters.clear()

    assert [f["fired"] for f in stormy.sandbox.faults.list()] == [5, 2, 1, 5, 3]
    assert snapshot(tmp_path / "stormy.duckdb") == snapshot(tmp_path / "clean.duckdb")


def test_bad_token_is_one_line_secret_free_and_leaves_the_warehouse_unchanged(
    start_sandbox: StartSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
):
    sandbox = start_small_org(start_sandbox)
    warehouse = tmp_path / "warehouse.duckdb"
    sync_hubspot(hubspot_config(sandbox), warehouse, retry_base_seconds=FAST)
    before = snapshot(warehouse)
    api = HubSpotClient(hubspot_config(sandbox))
    api.request(
        "POST",
        "/crm/v3/objects/companies/batch/update",
        json={"inputs": [{"id": "9001", "properties": {"name": "Renamed"}}]},
    )
    api.close()
    bad_token = "pat-na1-not-a-real-token-0042"

    with pytest.raises(CrmAuthError) as raised:
        sync_hubspot(hubspot_config(sandbox, access_token=bad_token), warehouse, retry_base_seconds=FAST)

    message = str(raised.value)
    assert "\n" not in message
    assert "SOURCES__HUBSPOT__ACCESS_TOKEN" in message
    assert snapshot(warehouse) == before
    # The failed run left nothing behind: the next good sync (after the search lag) picks the rename up.
    after_search_lag(sandbox)
    sync_hubspot(hubspot_config(sandbox), warehouse, retry_base_seconds=FAST)
    assert rows(warehouse, "companies", "id, name")[1] == ("9001", "Renamed")
    captured = capsys.readouterr()
    for token in (bad_token, hubspot_config(sandbox).access_token):
        assert token not in message
        assert token not in captured.out + captured.err + caplog.text
        assert token not in repr(hubspot_config(sandbox, access_token=token))


def test_unreachable_portal_names_the_base_url_setting(tmp_path: Path, start_sandbox: StartSandbox):
    sandbox = start_small_org(start_sandbox)
    closed_port = hubspot_config(sandbox, base_url="http://127.0.0.1:9")  # discard port: nothing listens

    with pytest.raises(CrmUnreachableError) as raised:
        sync_hubspot(
            closed_port, tmp_path / "warehouse.duckdb", objects=["companies"], retry_base_seconds=FAST
        )

    assert "SOURCES__HUBSPOT__BASE_URL" in str(raised.value)
    assert "\n" not in str(raised.value)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        schemas = {
            row[0] for row in con.sql("select schema_name from information_schema.schemata").fetchall()
        }
    assert "raw_hubspot" not in schemas
