"""Quarantine, not abort (issue 18 items 3 and 4): junk records never stop the night, in either CRM.

The hand-made org (org.py, hand-computed outcome) on the realistic sandbox profiles, with junk planted on
accounts that would get a task: a cadence override of 1e12 (account 1), a visit dated `2026-02-30`
(account 2), `""` (account 6) and `not a date` (account 7); and account 3 stamped in 2099. Night 1 goes
on: the junk is rejected with its reasons, those accounts get no task, account 8 gets its task as
before. The CRMs' copies are fixed; night 2 reads them (the 2099 record and the newer ones behind it)
and the four accounts get their tasks.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from tests.conftest import StartSandbox
from tests.orchestration.harness import FAST, account_of, pipeline_tasks, run_audit
from tests.orchestration.org import (
    AS_OF,
    EXPECTED_TASKS,
    HS_CREATED,
    hand_made_org,
    hs_company_id,
    hs_meeting_properties,
    sf_account_id,
    sf_visit_event,
)

CRMS = ("salesforce", "hubspot")
JUNK_VISITS = {2: "2026-02-30", 6: "", 7: "not a date"}  # account -> visit date
CADENCE_JUNK, FUTURE_ACCOUNT = 1, 3
OLD_DAY = "2026-01-15"  # what the junk visits are fixed to: before every account's last visit
LAG = 0.5  # HubSpot's search index lag, seconds (realistic, short enough to wait out)
SF_2099, HS_2099 = "2099-01-01T00:00:00.000+0000", "2099-01-01T00:00:00.000Z"


def _sf_junk_event(n: int) -> str:
    return f"00U{900 + n:012d}AAA"


def _hs_junk_meeting(n: int) -> str:
    return str(29000 + n)


def _junk_org() -> dict[str, Any]:
    org = hand_made_org()
    sf, hs = org["salesforce"], org["hubspot"]
    sf["_profile"] = "realistic"
    hs["_behaviour"] = {"profile": "realistic", "search_lag_seconds": LAG}
    for account in sf["Account"]:
        if account["Id"] == sf_account_id(CADENCE_JUNK):
            account["Visit_Cadence_Days__c"] = 1e12
        if account["Id"] == sf_account_id(FUTURE_ACCOUNT):
            account["SystemModstamp"] = SF_2099
    for company in hs["companies"]:
        if company["id"] == hs_company_id(CADENCE_JUNK):
            company["properties"]["visit_cadence_days"] = "1e12"
        if company["id"] == hs_company_id(FUTURE_ACCOUNT):
            company["properties"]["hs_lastmodifieddate"] = HS_2099
    for n, day in JUNK_VISITS.items():
        event = sf_visit_event(_sf_junk_event(n), n, OLD_DAY)
        sf["Event"].append({**event, "ActivityDate": day, "StartDateTime": None})
        properties = {**hs_meeting_properties(OLD_DAY), "hs_meeting_start_time": day, "hs_timestamp": day,
                      "hs_createdate": HS_CREATED, "hs_lastmodifieddate": HS_CREATED}  # fmt: skip
        hs["meetings"].append(
            {"id": _hs_junk_meeting(n), "properties": properties, "createdAt": HS_CREATED,
             "updatedAt": HS_CREATED, "archived": False, "associations": {"companies": [hs_company_id(n)]}}
        )  # fmt: skip
    return org


def _rejected(warehouse: Path) -> set[tuple[str, str, str, str | None, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select crm, record_id, column_name, value, reason from intermediate.int_rejected_records"
        ).fetchall()
    return set(rows)


def _expected_rejections() -> set[tuple[str, str, str, str | None, str]]:
    cadence = "cadence days above max_cadence_days (3650)"
    future = "modstamp is after the CRM's clock"
    rows = {
        ("salesforce", sf_account_id(CADENCE_JUNK), "visit_cadence_days_c", "1000000000000.0", cadence),
        ("hubspot", hs_company_id(CADENCE_JUNK), "visit_cadence_days", "1000000000000.0", cadence),
        (
            "salesforce",
            sf_account_id(FUTURE_ACCOUNT),
            "system_modstamp",
            "2099-01-01 00:00:00.000000Z",
            future,
        ),
        (
            "hubspot",
            hs_company_id(FUTURE_ACCOUNT),
            "hs_lastmodifieddate",
            "2099-01-01 00:00:00.000000Z",
            future,
        ),
    }
    for n, day in JUNK_VISITS.items():
        rows.add(("salesforce", _sf_junk_event(n), "activity_date", day, "cannot be read as a date"))
        for column in ("hs_meeting_start_time", "hs_timestamp"):
            rows.add(("hubspot", _hs_junk_meeting(n), column, day, "cannot be read as a timestamp"))
    return rows


def _tasked_accounts(running: RunningSandbox, crm: str) -> set[str]:
    return {account_of(crm, task) for task in pipeline_tasks(running, crm)}


def _account_ids(crm: str, numbers: Any) -> set[str]:
    return {sf_account_id(n) if crm == "salesforce" else hs_company_id(n) for n in numbers}


def _fix_the_crms(running: RunningSandbox) -> None:
    """What an admin does after reading the report: fix each junk value in the CRM, through its API."""
    sf = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST)).sf
    sf.Account.update(sf_account_id(CADENCE_JUNK), {"Visit_Cadence_Days__c": None})
    sf.Account.update(sf_account_id(FUTURE_ACCOUNT), {"Name": "Planned Pediatrics"})
    for n in JUNK_VISITS:
        sf.Event.update(_sf_junk_event(n), {"ActivityDate": OLD_DAY})
    stamp = hs_meeting_properties(OLD_DAY)["hs_timestamp"]
    companies = [
        {"id": hs_company_id(CADENCE_JUNK), "properties": {"visit_cadence_days": ""}},
        {"id": hs_company_id(FUTURE_ACCOUNT), "properties": {"name": "Planned Pediatrics"}},
    ]
    meetings = [
        {"id": _hs_junk_meeting(n), "properties": {"hs_meeting_start_time": stamp, "hs_timestamp": stamp}}
        for n in JUNK_VISITS
    ]
    client = HubSpotClient(hubspot_config(running), FAST)
    try:
        client.request("POST", "/crm/v3/objects/companies/batch/update", json={"inputs": companies})
        client.request("POST", "/crm/v3/objects/meetings/batch/update", json={"inputs": meetings})
    finally:
        client.close()
    time.sleep(2 * LAG)  # past HubSpot's search lag


def test_junk_is_quarantined_the_night_goes_on_and_fixed_records_get_their_tasks(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_junk_org())
    warehouse = tmp_path / "warehouse.duckdb"
    expected = {task.n for task in EXPECTED_TASKS}  # 1, 2, 6, 7, 8
    junk = {CADENCE_JUNK, *JUNK_VISITS}

    night = run_audit(running, warehouse, AS_OF)

    assert night.summary.succeeded, night.summary.error
    assert _rejected(warehouse) == _expected_rejections()
    for crm in CRMS:
        # No task for an account with a record in quarantine; the other accounts' tasks as before.
        assert _tasked_accounts(running, crm) == _account_ids(crm, expected - junk)
        assert night.summary.writeback[crm]["created"] == 1

    _fix_the_crms(running)
    fixed = run_audit(running, warehouse, AS_OF)

    assert fixed.summary.succeeded, fixed.summary.error
    assert _rejected(warehouse) == set()
    for crm in CRMS:
        assert _tasked_accounts(running, crm) == _account_ids(crm, expected)
        assert fixed.summary.writeback[crm]["created"] == len(junk)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # The 2099 records, once fixed, were read: the cursor never followed them into the future.
        names = con.execute(
            "select count(*) from marts.account_cadence where account_name = 'Planned Pediatrics'"
        ).fetchone()
    assert names == (2,)
