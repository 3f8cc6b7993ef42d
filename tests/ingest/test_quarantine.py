"""Quarantine, not abort (issue 18 items 3 and 4), at the sources: real HTTP, realistic sandbox profiles.

- a value the CRM sends that cannot be typed (`2026-02-30`, `""`, `not a date` as a visit date) is null
  in the raw table and a row in raw_<crm>.rejected_records; the sync goes on;
- a record stamped in 2099 is quarantined, does not move the cursor, and once fixed (and records newer
  than the night it appeared) is read;
- a gated cursor (the nightly job's) moves only with a load whose raw checks passed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.cursor import Cursor
from ingest.hubspot import HubSpotClient, sync_hubspot
from ingest.salesforce import sync_salesforce
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from ingest.sync_result import SyncResult
from tests.conftest import StartSandbox

FAST = 0.001
SF_T0 = "2026-01-05T09:00:00.000+0000"
HS_T0 = "2026-01-05T09:00:00.000Z"
SF_2099 = "2099-01-01T00:00:00.000+0000"
HS_2099 = "2099-01-01T00:00:00.000Z"
USER = "005000000000001AAA"
JUNK_DATES = ("2026-02-30", "", "not a date")
UNTYPED = {"salesforce": "cannot be read as a date", "hubspot": "cannot be read as a timestamp"}
FUTURE = "modstamp is after the CRM's clock"
LAG = 0.5  # HubSpot's search index lag in the 2099 test, seconds


def _sf_account(n: int, stamp: str = SF_T0) -> dict[str, Any]:
    return {"Id": f"001{n:012d}AAA", "Name": f"Practice {n}", "Type": "Prospect", "OwnerId": USER,
            "CreatedDate": SF_T0, "SystemModstamp": stamp, "IsDeleted": False}  # fmt: skip


def _sf_event(n: int, day: str) -> dict[str, Any]:
    account = _sf_account(1)["Id"]
    return {"Id": f"00U{n:012d}AAA", "AccountId": account, "WhatId": account, "OwnerId": USER,
            "Type": "Visit", "Subject": "Drop-in", "ActivityDate": day, "StartDateTime": None,
            "CreatedDate": SF_T0, "SystemModstamp": SF_T0, "IsDeleted": False}  # fmt: skip


def _hs_record(record_id: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": record_id, "properties": {"hs_lastmodifieddate": HS_T0, **properties},
            "createdAt": HS_T0, "updatedAt": HS_T0, "archived": False, **extra}  # fmt: skip


def _hs_meeting(n: int, start: str) -> dict[str, Any]:
    return _hs_record(
        str(20000 + n),
        {"hs_meeting_title": "Drop-in", "hs_meeting_start_time": start, "hs_timestamp": start},
        associations={"companies": ["9001"]},
    )


def _org_with_junk_visits() -> dict[str, Any]:
    """One good visit and one visit per junk date, in each CRM."""
    return {
        "salesforce": {
            "_profile": "realistic",
            "User": [{"Id": USER, "Name": "Dana", "IsActive": True, "SystemModstamp": SF_T0}],
            "Account": [_sf_account(1)],
            "Event": [_sf_event(n, day) for n, day in enumerate(("2026-02-03", *JUNK_DATES))],
        },
        "hubspot": {
            "_behaviour": {"profile": "realistic"},
            "companies": [_hs_record("9001", {"name": "Clinic"})],
            "meetings": [_hs_meeting(n, day) for n, day in enumerate(("2026-02-03T15:00:00Z", *JUNK_DATES))],
        },
    }


def _sync(crm: str, running: RunningSandbox, warehouse: Path, **options: Any) -> SyncResult:
    if crm == "salesforce":
        objects = options.pop("objects", ["Account", "Event"])
        return sync_salesforce(
            salesforce_config(running), warehouse, objects=objects, retry_base_seconds=FAST, **options
        )
    objects = options.pop("objects", ["companies", "meetings"])
    return sync_hubspot(
        hubspot_config(running), warehouse, objects=objects, retry_base_seconds=FAST, **options
    )


def _query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_untypeable_visit_dates_are_null_and_rejected_and_the_sync_goes_on(
    crm: str, start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org_with_junk_visits())
    warehouse = tmp_path / "warehouse.duckdb"

    result = _sync(crm, running, warehouse)

    table, column = (
        ("event", "activity_date") if crm == "salesforce" else ("meetings", "hs_meeting_start_time")
    )
    good, *junk = (_sf_event(n, "")["Id"] if crm == "salesforce" else str(20000 + n) for n in range(4))
    assert result.rows_by_table[table] == 4
    typed = dict(_query(warehouse, f"select id, {column} from raw_{crm}.{table}"))
    assert typed[good] is not None and [typed[record_id] for record_id in junk] == [None, None, None]
    rejected = _query(
        warehouse,
        f'select id, "column", value, reason from raw_{crm}.rejected_records where "column" = \'{column}\'',
    )
    assert sorted(rejected) == sorted(
        (record_id, column, value, UNTYPED[crm]) for record_id, value in zip(junk, JUNK_DATES, strict=True)
    )


# ---- a far-future modstamp ------------------------------------------------------------------------
def _fix_and_add(crm: str, running: RunningSandbox, record_id: str) -> str:
    """Edit the 2099 record through the API (the CRM restamps it now) and create a newer one."""
    if crm == "salesforce":
        sf = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST)).sf
        sf.Account.update(record_id, {"Name": "Fixed"})
        return sf.Account.create({"Name": "Newer", "Type": "Prospect", "OwnerId": USER})["id"]
    client = HubSpotClient(hubspot_config(running), retry_base_seconds=FAST)
    try:
        update = {"inputs": [{"id": record_id, "properties": {"name": "Fixed"}}]}
        client.request("POST", "/crm/v3/objects/companies/batch/update", json=update)
        create = {"inputs": [{"properties": {"name": "Newer"}}]}
        return client.request("POST", "/crm/v3/objects/companies/batch/create", json=create)["results"][0][
            "id"
        ]
    finally:
        client.close()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_2099_modstamp_is_quarantined_and_once_fixed_newer_records_are_read(
    crm: str, start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    if crm == "salesforce":
        future_id = _sf_account(2)["Id"]
        org = {"salesforce": {"_profile": "realistic", "Account": [_sf_account(1), _sf_account(2, SF_2099)]}}
        table, stamp = "account", "system_modstamp"
    else:
        future_id = "9002"
        companies = [
            _hs_record("9001", {"name": "A"}),
            _hs_record("9002", {"name": "B", "hs_lastmodifieddate": HS_2099}),
        ]
        # Realistic, with a short search lag so the test can wait it out (the next night would, anyway).
        behaviour = {"profile": "realistic", "search_lag_seconds": LAG}
        org = {"hubspot": {"_behaviour": behaviour, "companies": companies}}
        table, stamp = "companies", "hs_lastmodifieddate"
    running = start_sandbox(org)
    warehouse = tmp_path / "warehouse.duckdb"
    objects = {"objects": ["Account"] if crm == "salesforce" else ["companies"]}

    assert _sync(crm, running, warehouse, **objects).rows_by_table[table] == 1  # not the 2099 one
    assert _query(warehouse, f'select id, "column", reason from raw_{crm}.rejected_records') == [
        (future_id, stamp, FUTURE)
    ]
    newer = _fix_and_add(crm, running, future_id)
    time.sleep(2 * LAG)

    again = _sync(crm, running, warehouse, **objects)

    assert again.rows_by_table[table] == 2  # the fixed record and the newer one
    names = dict(_query(warehouse, f"select id, name from raw_{crm}.{table}"))
    assert names[future_id] == "Fixed" and names[newer] == "Newer"
    # Nothing past the CRM's clock (+ the tolerance) reached the raw layer.
    (latest,) = _query(warehouse, f"select max({stamp}) from raw_{crm}.{table}")[0]
    assert latest < datetime.now(UTC) + timedelta(minutes=5)


def test_a_saved_cursor_past_the_crms_clock_is_pulled_back_to_it() -> None:
    """A state written before the ceiling existed (or edited) cannot keep a resource from reading."""
    state = {"cursor": {"at": "2099-01-01T00:00:00+00:00", "seen": []}}
    cursor = Cursor(state, "system_modstamp", "id", lookback_seconds=300)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert cursor.start(now) == now - timedelta(seconds=600)  # the ceiling (now − lookback), minus lookback


# ---- the gated cursor ----------------------------------------------------------------------------
def _last_load(warehouse: Path, crm: str) -> str:
    return _query(warehouse, f"select max(load_id) from raw_{crm}._dlt_loads where status = 0")[0][0]


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_gated_cursor_moves_only_with_a_load_that_passed_its_raw_checks(
    crm: str, start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org_with_junk_visits())
    warehouse = tmp_path / "warehouse.duckdb"
    table = "event" if crm == "salesforce" else "meetings"

    first = _sync(crm, running, warehouse, passed_loads=frozenset())
    # The first night's raw checks did not pass: the next night reads what it read again.
    again = _sync(crm, running, warehouse, passed_loads=frozenset())
    assert first.rows_by_table[table] == again.rows_by_table[table] == 4
    # This night's load passed: the one after reads nothing old.
    passed = frozenset({_last_load(warehouse, crm)})
    assert _sync(crm, running, warehouse, passed_loads=passed).rows_by_table.get(table, 0) == 0
    # Rows are merged on id, never duplicated by the re-reads.
    assert _query(warehouse, f"select count(*), count(distinct id) from raw_{crm}.{table}") == [(4, 4)]
