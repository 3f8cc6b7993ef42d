"""Deletes that leave no trace (ingest/key_scan.py): purged while the pipeline did not look, still gone.

End to end on the realistic sandbox profile (Salesforce Recycle Bin 15 days, HubSpot archive 90 days),
over real HTTP(S) with the real clients; the pause is the sandbox clock moved forward.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.errors import CrmUnreachableError
from ingest.hubspot import HubSpotClient, sync_hubspot
from ingest.key_scan import DeleteCheck, DeleteState, plan_check
from ingest.salesforce import sync_salesforce
from ingest.salesforce.deletes import deleted_since
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import Fault, RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from tests.conftest import StartSandbox
from tests.orchestration.harness import open_pipeline_tasks_per_account, pipeline_tasks, run_audit
from tests.orchestration.org import AS_OF, hand_made_org, hs_company_id, sf_account_id

FAST = 0.001
USER = "005000000000001AAA"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
SF_CREATED = "2026-01-05T09:00:00.000+0000"
HS_CREATED = "2026-01-05T09:00:00.000Z"


def _realistic(document: dict[str, Any]) -> dict[str, Any]:
    document["salesforce"]["_profile"] = "realistic"
    document["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return document


def _org(salesforce: dict[str, Any] | None = None, hubspot: dict[str, Any] | None = None) -> dict[str, Any]:
    return _realistic({"salesforce": salesforce or {}, "hubspot": hubspot or {}})


def _pause(running: RunningSandbox, days: float) -> None:
    """The pipeline does not run for `days`: the CRM's clock moves on (and its purges with it)."""
    offset = timedelta(days=days)
    running.store.set_clock(lambda: datetime.now(UTC) + offset)


def _query(warehouse: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(args)).fetchall()


# ---- the decision: key scan, getDeleted, or nothing --------------------------------------------------
def _plan(
    saved: DeleteState, *, nightly: bool = False, days: float = 7, sf: bool = True, first: bool = False
) -> DeleteCheck:
    return plan_check(saved, NOW, first_sync=first, nightly=nightly, key_scan_days=days,
                      replication_days=15 if sf else None)  # fmt: skip


def test_first_sync_checks_nothing() -> None:
    assert _plan(DeleteState(), first=True, nightly=True).needed is False


def test_accounts_and_companies_are_key_scanned_every_night() -> None:
    yesterday = DeleteState(NOW - DAY, NOW - DAY)
    assert _plan(yesterday, nightly=True) == DeleteCheck(True, None, "key-scanned every night")
    assert _plan(yesterday, nightly=True, sf=False).key_scan is True


def test_within_the_period_salesforce_asks_getdeleted_since_the_last_check() -> None:
    check = _plan(DeleteState(until=NOW - DAY, key_scan_at=NOW - 3 * DAY))
    assert (check.key_scan, check.since) == (False, NOW - DAY)
    # HubSpot has no getDeleted: within the period its archived list is the check.
    assert _plan(DeleteState(NOW - DAY, NOW - 3 * DAY), sf=False).needed is False


def test_the_key_scan_period_triggers_a_key_scan() -> None:
    saved = DeleteState(until=NOW - DAY, key_scan_at=NOW - 7 * DAY)  # exactly one period ago
    assert _plan(saved).key_scan and _plan(saved, sf=False).key_scan
    assert _plan(DeleteState(NOW - DAY, NOW - DAY), days=0).key_scan  # 0: every night
    assert _plan(DeleteState(until=NOW - DAY)).key_scan  # never scanned (a warehouse from before)


def test_a_window_past_getdeleteds_15_days_is_key_scanned() -> None:
    long_period = {"days": 30}
    assert _plan(DeleteState(NOW - 14 * DAY, NOW - 14 * DAY), **long_period).since == NOW - 14 * DAY
    three_weeks = _plan(DeleteState(NOW - 21 * DAY, NOW - 21 * DAY), **long_period)
    assert (three_weeks.key_scan, three_weeks.since) == (True, None)
    # 15 days to the minute is too close: the org checks the start on its own clock, calls later.
    assert _plan(DeleteState(NOW - 15 * DAY, NOW - 15 * DAY), **long_period).key_scan


# ---- Salesforce ---------------------------------------------------------------------------------
def _account(n: int) -> dict[str, Any]:
    return {"Id": sf_account_id(n), "Name": f"Practice {n}", "Type": "Prospect", "OwnerId": USER,
            "CreatedDate": SF_CREATED, "SystemModstamp": SF_CREATED, "IsDeleted": False}  # fmt: skip


def _contact(n: int) -> dict[str, Any]:
    return {"Id": f"003{n:012d}AAA", "AccountId": sf_account_id(1), "Name": f"Dr {n}", "Title": "MD",
            "CreatedDate": SF_CREATED, "SystemModstamp": SF_CREATED, "IsDeleted": False}  # fmt: skip


def _sf_sync(running: RunningSandbox, warehouse: Path, objects: list[str], **kwargs: Any) -> dict[str, int]:
    if warehouse.exists():
        # A later night starts later: Salesforce's clock (the Date header, to the second) has moved, so
        # getDeleted has a window to answer (an empty window costs no call).
        time.sleep(1.1)
    config = salesforce_config(running)
    return sync_salesforce(
        config, warehouse, objects=objects, retry_base_seconds=FAST, **kwargs
    ).rows_by_table


def _sf_delete(running: RunningSandbox, sobject: str, record_id: str) -> None:
    sf = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST)).sf
    getattr(sf, sobject).delete(record_id)


def _empty_recycle_bin(running: RunningSandbox) -> None:
    """An admin empties the Recycle Bin: the sandbox's control for Setup's "Empty your Recycle Bin"."""
    running.control("POST", "/__sandbox/salesforce/recycle_bin/empty")


def test_unchanged_night_costs_one_key_scan_page_for_accounts_and_one_getdeleted_per_other_object(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org({"Account": [_account(n) for n in range(1, 4)], "Contact": [_contact(1)]}))
    warehouse = tmp_path / "warehouse.duckdb"
    _sf_sync(running, warehouse, ["Account", "Contact"])
    running.counters.clear()

    assert _sf_sync(running, warehouse, ["Account", "Contact"]) == {"account": 0, "contact": 0}

    # Today's unchanged night: 1 query each. Now: + 1 key-scan page (Account) + 1 getDeleted (Contact).
    assert running.counters["salesforce.query"] == 3 and running.counters["salesforce.query_more"] == 0
    assert running.counters["salesforce.get_deleted"] == 1


def test_getdeleted_lists_a_delete_since_the_last_check(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(_org({"Contact": [_contact(1), _contact(2)]}))
    client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
    since = datetime.now(UTC) - timedelta(seconds=1)
    _sf_delete(running, "Contact", _contact(2)["Id"])
    time.sleep(1.1)  # the window ends at the org's clock, its `Date` header: whole seconds
    client.call(lambda sf: sf.restful("limits/"))

    answer = deleted_since(client, "Contact", since)

    assert answer is not None and answer[0].to_pylist() == [_contact(2)["Id"]]
    assert answer[1] > since  # latestDateCovered: where the next window starts


def test_a_contact_purged_from_an_emptied_recycle_bin_is_marked_deleted_by_the_key_scan(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org({"Contact": [_contact(n) for n in range(1, 4)]}))
    warehouse = tmp_path / "warehouse.duckdb"
    _sf_sync(running, warehouse, ["Contact"])
    _sf_delete(running, "Contact", _contact(2)["Id"])
    _empty_recycle_bin(running)  # gone from queryAll before the pipeline ran
    running.counters.clear()

    assert _sf_sync(running, warehouse, ["Contact"]) == {"contact": 1}

    # getDeleted's earliestDateAvailable (the purge) is inside the window: it cannot vouch, so a key scan.
    assert running.counters["salesforce.get_deleted"] == 1 and running.counters["salesforce.query"] == 2
    rows = _query(
        warehouse, "select id, is_deleted, name, _cadence_deleted_by from raw_salesforce.contact order by id"
    )
    assert rows == [
        (_contact(1)["Id"], False, "Dr 1", None),
        (_contact(2)["Id"], True, "Dr 2", "key_scan"),  # its other columns kept
        (_contact(3)["Id"], False, "Dr 3", None),
    ]
    assert _sf_sync(running, warehouse, ["Contact"]) == {"contact": 0}  # marked once


def test_a_failed_sync_keeps_the_delete_state(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    running = start_sandbox(_org({"Account": [_account(n) for n in range(1, 3)]}))
    warehouse = tmp_path / "warehouse.duckdb"
    _sf_sync(running, warehouse, ["Account"])
    _sf_delete(running, "Account", _account(2)["Id"])
    _empty_recycle_bin(running)
    # The read's query answers, then the key scan's keeps failing: the sync fails as a whole.
    running.sandbox.faults.add(Fault(kind="status_503", endpoint="salesforce.query", after=1, times=50))

    with pytest.raises(CrmUnreachableError, match="kept failing"):
        _sf_sync(running, warehouse, ["Account"])

    running.sandbox.faults.clear()
    assert _query(warehouse, "select count(*) from raw_salesforce.account where is_deleted") == [(0,)]
    assert _sf_sync(running, warehouse, ["Account"]) == {"account": 1}
    assert _query(warehouse, "select id from raw_salesforce.account where is_deleted") == [
        (_account(2)["Id"],)
    ]


def test_account_purged_while_the_pipeline_was_paused_three_weeks_leaves_the_marts_unnagged(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_realistic(hand_made_org()))
    warehouse = tmp_path / "warehouse.duckdb"
    gone = sf_account_id(2)  # overdue, nagged by the first run
    assert run_audit(running, warehouse, AS_OF, crms=("salesforce",)).summary.succeeded
    assert open_pipeline_tasks_per_account(running, "salesforce")[gone] == 1
    _close_pipeline_task(running, gone)  # the rep closes it, then deletes the account
    _sf_delete(running, "Account", gone)

    _pause(running, 21)  # three weeks: past the Recycle Bin's 15 days, so queryAll no longer has it
    run = run_audit(running, warehouse, AS_OF + timedelta(days=21), crms=("salesforce",))

    assert run.summary.succeeded, run.summary.error
    assert gone not in running.store.salesforce["Account"]  # purged for good: no trace left to read
    assert _in_marts(warehouse, "salesforce", gone) is False
    marked = "select is_deleted, _cadence_deleted_by from raw_salesforce.account where id = ?"
    assert _query(warehouse, marked, gone) == [(True, "key_scan")]
    assert open_pipeline_tasks_per_account(running, "salesforce")[gone] == 0  # no task written for it
    assert _in_marts(warehouse, "salesforce", sf_account_id(1)) is True  # the others stay


def _close_pipeline_task(running: RunningSandbox, account_id: str) -> None:
    (task,) = [t for t in pipeline_tasks(running, "salesforce") if t["WhatId"] == account_id]
    sf = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST)).sf
    sf.Task.update(task["Id"], {"Status": "Completed"})


def _in_marts(warehouse: Path, crm: str, account_id: str) -> bool:
    sql = "select count(*) from marts.account_cadence where crm = ? and crm_account_id = ?"
    return _query(warehouse, sql, crm, account_id) == [(1,)]


# ---- HubSpot ------------------------------------------------------------------------------------
def _hs(running: RunningSandbox) -> HubSpotClient:
    return HubSpotClient(hubspot_config(running), retry_base_seconds=FAST)


def _hs_request(running: RunningSandbox, method: str, path: str, body: Any = None) -> Any:
    client = _hs(running)
    try:
        return client.request(method, path, json=body)
    finally:
        client.close()


def _contact_record(n: int) -> dict[str, Any]:
    properties = {"firstname": f"Ann {n}", "lastmodifieddate": HS_CREATED, "hs_lastmodifieddate": HS_CREATED}
    return {"id": str(500 + n), "properties": properties, "createdAt": HS_CREATED, "updatedAt": HS_CREATED,
            "archived": False}  # fmt: skip


def _hs_sync(running: RunningSandbox, warehouse: Path, objects: list[str], **kwargs: Any) -> dict[str, int]:
    config = hubspot_config(running)
    return sync_hubspot(config, warehouse, objects=objects, retry_base_seconds=FAST, **kwargs).rows_by_table


def test_a_gdpr_deleted_contact_is_marked_archived_by_the_key_scan_once_a_period(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org(hubspot={"contacts": [_contact_record(n) for n in range(1, 4)]}))
    warehouse = tmp_path / "warehouse.duckdb"
    _hs_sync(running, warehouse, ["contacts"])
    _hs_request(running, "POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": "502"})

    running.counters.clear()
    assert _hs_sync(running, warehouse, ["contacts"]) == {}  # within the period: no scan, nothing seen
    assert running.counters["hubspot.list.contacts"] == 1  # the archived list only
    # The period is measured on the CRM's `Date` header, which the sandbox clock does not move: a
    # 2-second period stands for the week.
    time.sleep(2.1)
    assert _hs_sync(running, warehouse, ["contacts"], key_scan_days=2 / 86400) == {"contacts": 1}
    assert running.counters["hubspot.list.contacts"] == 3  # + the archived list + one key-scan page

    sql = "select id, archived, firstname, _cadence_deleted_by from raw_hubspot.contacts order by id"
    assert _query(warehouse, sql) == [
        ("501", False, "Ann 1", None), ("502", True, "Ann 2", "key_scan"), ("503", False, "Ann 3", None)
    ]  # fmt: skip


def test_company_past_its_90_day_archive_leaves_the_marts_unnagged(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_realistic(hand_made_org()))
    warehouse = tmp_path / "warehouse.duckdb"
    gone = hs_company_id(2)  # overdue: nagged by the first run
    assert run_audit(running, warehouse, AS_OF, crms=("hubspot",)).summary.succeeded
    (task,) = [t for t in pipeline_tasks(running, "hubspot") if t["associations"]["companies"] == [gone]]
    _hs_request(
        running,
        "PATCH",
        f"/crm/v3/objects/tasks/{task['id']}",
        {"properties": {"hs_task_status": "COMPLETED"}},
    )
    _hs_request(running, "DELETE", f"/crm/v3/objects/companies/{gone}")

    _pause(running, 91)  # past HubSpot's 90 days: permanently deleted, gone from archived=true too
    run = run_audit(running, warehouse, AS_OF + timedelta(days=91), crms=("hubspot",))

    assert run.summary.succeeded, run.summary.error
    assert gone not in running.store.hubspot["companies"]
    assert _in_marts(warehouse, "hubspot", gone) is False
    marked = "select archived, _cadence_deleted_by from raw_hubspot.companies where id = ?"
    assert _query(warehouse, marked, gone) == [(True, "key_scan")]
    assert open_pipeline_tasks_per_account(running, "hubspot")[gone] == 0
    assert _in_marts(warehouse, "hubspot", hs_company_id(1)) is True
