"""The lookback cursor end to end on both CRMs: late-visible records are read, nothing is loaded twice.

A record "written one second before the sync" that the sync could not see yet: on HubSpot the
realistic profile's search lag hides it (the sandbox clock is held a second after the write, then moved
past the lag); a Salesforce transaction committing after its SystemModstamp is modelled by writing it
after the sync with a modstamp from before the sync (the sandbox clock is set back for that write).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ingest.hubspot import HubSpotClient, sync_hubspot
from ingest.salesforce import sync_salesforce
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox.salesforce.models import salesforce_timestamp
from ingest.sandbox_settings import hubspot_config, salesforce_config
from ingest.sync_result import SyncResult
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag

FAST = 0.001
T0 = "2026-01-05T09:00:00.000+0000"
USER = "005000000000001AAA"
SECOND = timedelta(seconds=1)


def _account(n: int) -> dict[str, Any]:
    return {"Id": f"001{n:012d}AAA", "Name": f"Practice {n}", "Type": "Prospect", "OwnerId": USER,
            "CreatedDate": T0, "SystemModstamp": T0, "IsDeleted": False}  # fmt: skip


def _company(n: int, stamp: str = "2026-01-05T09:00:00.000Z") -> dict[str, Any]:
    return {"id": str(9000 + n), "properties": {"name": f"Clinic {n}", "hs_lastmodifieddate": stamp},
            "createdAt": stamp, "updatedAt": stamp, "archived": False}  # fmt: skip


def _rows(warehouse: Path, table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select id, count(*) from {table} group by id order by id").fetchall()


def _stamp(warehouse: Path, table: str, column: str, record_id: str) -> datetime:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select {column} from {table} where id = ?", [record_id]).fetchone()[0]


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


# ---- Salesforce ---------------------------------------------------------------------------------
def _sf_sync(running: RunningSandbox, warehouse: Path) -> SyncResult:
    return sync_salesforce(
        salesforce_config(running), warehouse, objects=["Account"], retry_base_seconds=FAST
    )


def _sf_create(running: RunningSandbox, name: str) -> str:
    sf = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST)).sf
    return sf.Account.create({"Name": name, "Type": "Prospect", "OwnerId": USER})["id"]


def test_salesforce_record_committed_behind_the_cursor_arrives_next_night_once(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox({"salesforce": {"Account": [_account(n) for n in range(1, 4)]}})
    warehouse = tmp_path / "warehouse.duckdb"
    _sf_sync(running, warehouse)
    fresh = _sf_create(running, "Fresh")  # stamped now
    assert _sf_sync(running, warehouse).rows_by_table == {"account": 1}

    # A transaction that started a second before "Fresh" (so before that sync) commits only now,
    # with its older modstamp: behind the newest modstamp that sync read.
    running.store.set_clock(
        _at(_stamp(warehouse, "raw_salesforce.account", "system_modstamp", fresh) - SECOND)
    )
    late = _sf_create(running, "Late")
    again = _sf_sync(running, warehouse)

    assert again.rows_by_table == {
        "account": 1
    }  # the late one; "Fresh", re-read in the margin, is not reloaded
    ids = [_account(n)["Id"] for n in range(1, 4)]
    assert _rows(warehouse, "raw_salesforce.account") == sorted((i, 1) for i in [*ids, fresh, late])
    running.counters.clear()
    assert _sf_sync(running, warehouse).rows_by_table == {"account": 0}
    # The read and the nightly Account key scan (ingest/key_scan.py), one page each.
    assert running.counters["salesforce.query"] == 2 and running.counters["salesforce.query_more"] == 0


def test_salesforce_cursor_never_passes_the_crms_clock(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    running = start_sandbox({"salesforce": {"Account": [_account(1)]}})
    warehouse = tmp_path / "warehouse.duckdb"
    # A record stamped an hour ahead of the org's clock (the Date header, which the sandbox takes from
    # the same clock): the cursor must not follow it, and it is quarantined (ingest/quarantine.py), not
    # loaded, while its stamp is in the future. The stamp is planted as a skewed import would leave it.
    ahead = _sf_create(running, "Ahead")
    accounts = running.store.salesforce["Account"]
    skewed = salesforce_timestamp(datetime.now(UTC) + timedelta(hours=1))
    accounts[ahead] = {**accounts[ahead], "SystemModstamp": skewed}
    _sf_sync(running, warehouse)
    now = _sf_create(running, "Now")

    result = _sf_sync(running, warehouse)

    assert result.rows_by_table == {"account": 1}  # "Now", behind the future stamp
    assert _rows(warehouse, "raw_salesforce.account") == sorted([(_account(1)["Id"], 1), (now, 1)])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejected = con.execute('select distinct id, "column", reason from raw_salesforce.rejected_records')
        assert rejected.fetchall() == [(ahead, "system_modstamp", "modstamp is after the CRM's clock")]


# ---- HubSpot ------------------------------------------------------------------------------------
def _hs_sync(running: RunningSandbox, warehouse: Path) -> SyncResult:
    return sync_hubspot(hubspot_config(running), warehouse, objects=["companies"], retry_base_seconds=FAST)


def _hs_create(running: RunningSandbox, name: str) -> str:
    api = HubSpotClient(hubspot_config(running), retry_base_seconds=FAST)
    try:
        body = {"inputs": [{"properties": {"name": name}}]}
        return api.request("POST", "/crm/v3/objects/companies/batch/create", json=body)["results"][0]["id"]
    finally:
        api.close()


def test_hubspot_record_written_just_before_a_sync_arrives_with_the_next_once(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox({"hubspot": {"companies": [_company(n) for n in range(1, 4)]}})
    warehouse = tmp_path / "warehouse.duckdb"
    _hs_sync(running, warehouse)
    running.store.set_clock(_at(running.store.now()))
    late = _hs_create(running, "Late")

    # The sync starts a second after the write (the clock held there): HubSpot's search index has not
    # caught up (the realistic 3 s lag), so the sync cannot see it, and must not step its cursor past it.
    running.store.set_clock(_at(running.store.now() + SECOND))
    assert _hs_sync(running, warehouse).rows_by_table == {}
    after_search_lag(running)
    assert _hs_sync(running, warehouse).rows_by_table == {"companies": 1}  # the next sync reads it

    ids = [str(9000 + n) for n in range(1, 4)]
    assert _rows(warehouse, "raw_hubspot.companies") == sorted((i, 1) for i in [*ids, late])
    running.counters.clear()
    assert _hs_sync(running, warehouse).rows_by_table == {}  # nothing loaded twice
    assert running.counters["hubspot.search.companies"] == 1  # unchanged night: one search, as before


def test_hubspot_contacts_are_read_through_lastmodifieddate(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    # A portal as HubSpot keeps contacts: `lastmodifieddate` moves on every change, hs_lastmodifieddate not.
    stale, moved = "2026-01-05T09:00:00.000Z", "2026-03-02T10:00:00.000Z"
    properties = {"firstname": "Ann", "hs_lastmodifieddate": stale, "lastmodifieddate": moved}
    contact = {
        "id": "501",
        "archived": False,
        "createdAt": stale,
        "updatedAt": moved,
        "properties": properties,
    }
    running = start_sandbox({"hubspot": {"contacts": [contact]}})
    warehouse = tmp_path / "warehouse.duckdb"

    sync_hubspot(hubspot_config(running), warehouse, objects=["contacts"], retry_base_seconds=FAST)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        stamps = con.execute("select id, hs_lastmodifieddate from raw_hubspot.contacts").fetchall()
    assert stamps == [
        ("501", datetime(2026, 3, 2, 10, tzinfo=UTC))
    ]  # the cursor column holds lastmodifieddate


def test_hubspot_archival_is_loaded_once(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    running = start_sandbox({"hubspot": {"companies": [_company(n) for n in range(1, 4)]}})
    warehouse = tmp_path / "warehouse.duckdb"
    _hs_sync(running, warehouse)
    api = HubSpotClient(hubspot_config(running), retry_base_seconds=FAST)
    api.request("DELETE", "/crm/v3/objects/companies/9002")
    api.close()

    assert _hs_sync(running, warehouse).rows_by_table == {"companies": 1}
    assert _hs_sync(running, warehouse).rows_by_table == {}  # re-listed in the margin, not reloaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select id, archived from raw_hubspot.companies order by id").fetchall() == [
            ("9001", False), ("9002", True), ("9003", False)
        ]  # fmt: skip
