"""dbt build on a hand-made raw layer (Salesforce and HubSpot side by side), as of 2024-06-30;
every expected value below is computed by hand from the rows in `raw_warehouse`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.dbt_runner import DbtRunError, run_dbt
from tests.dbt.raw_fixture import create_raw_tables, insert_rows

AS_OF = date(2024, 6, 30)
U1, U2 = "005000000000001AAA", "005000000000002AAA"
SF = {n: f"00100000000000{n}AAA" for n in range(1, 9)}
SF_TS = "2024-01-01T09:00:00Z"


def sf_account(n: int, type_: str | None, owner: str = U1, **extra: Any) -> dict[str, Any]:
    return {"id": SF[n], "name": f"SF {n}", "type": type_, "owner_id": owner, "created_date": SF_TS,
            "system_modstamp": SF_TS, "is_deleted": False, **extra}


def sf_event(id_: str, account: int | None, day: str | None, type_: str = "Visit", **extra: Any) -> dict:
    return {"id": id_, "account_id": SF[account] if account else None, "type": type_, "activity_date": day,
            "owner_id": U1, "system_modstamp": SF_TS, "is_deleted": False, **extra}


def hs_company(id_: str, stage: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "name": f"HS {id_}", "lifecyclestage": stage, "hubspot_owner_id": "101",
            "createdate": SF_TS, "hs_lastmodifieddate": SF_TS, "archived": False, **extra}


def meeting(id_: str, companies: str, start: str | None, outcome: str = "COMPLETED", **extra: Any) -> dict:
    return {"id": id_, "company_ids": companies, "hs_meeting_outcome": outcome, "archived": False,
            "hs_meeting_start_time": start, "hs_timestamp": start, "hs_lastmodifieddate": SF_TS, **extra}


def load_raw(con: duckdb.DuckDBPyConnection) -> None:
    create_raw_tables(con)
    insert_rows(con, "raw_salesforce", "user", [
        {"id": U1, "name": "Sam Rep", "is_active": True, "system_modstamp": SF_TS},
        {"id": U2, "name": "Una Two", "is_active": True, "system_modstamp": SF_TS},
    ])
    insert_rows(con, "raw_salesforce", "account", [
        sf_account(1, "Customer - Direct"),                              # overdue, High
        sf_account(2, "Active Referral Source"),                         # due_soon (exactly 7 days)
        sf_account(3, "Customer - Channel", visit_cadence_days_c=60.0),  # override → on_track
        sf_account(4, "Prospect", owner=U2, created_date="2024-06-15T12:00:00Z"),  # never visited
        sf_account(5, "Customer - Direct"),                              # overdue, planned visit
        sf_account(6, "Other"),                                          # out of scope
        sf_account(7, "Customer - Direct"),                              # visited: close its task
        sf_account(8, "Customer - Direct", is_deleted=True),             # deleted
    ])
    insert_rows(con, "raw_salesforce", "event", [
        sf_event("00U1", 1, "2024-05-01"),
        sf_event("00U2", 1, "2024-05-01", "Meeting"),                    # same day: one visit
        sf_event("00U3", 1, "2024-06-20", is_deleted=True),              # deleted
        sf_event("00U4", 1, "2024-06-28", "Call"),                       # not a visit type
        sf_event("00U5", 1, "2024-07-20"),                               # planned beyond grace
        sf_event("00U6", None, None, what_id=SF[2], start_date_time="2024-06-07T15:00:00Z"),  # WhatId
        sf_event("00U7", 3, "2024-05-20"),
        sf_event("00U8", 5, "2024-05-15"),
        sf_event("00U9", 5, "2024-07-05"),                               # planned within grace
        sf_event("00UA", 7, "2024-06-25"),
        sf_event("00UB", 8, "2024-06-25"),                               # deleted account
        sf_event("00UC", None, "2024-06-25", what_id="006000000000001AAA"),  # WhatId not an account
    ])
    insert_rows(con, "raw_salesforce", "task", [
        {"id": "00T1", "account_id": SF[1], "type": "Visit", "status": "Completed", "is_closed": True,
         "activity_date": "2024-04-10", "is_deleted": False, "system_modstamp": SF_TS},
        {"id": "00T2", "account_id": SF[1], "type": "Call", "status": "Not Started", "is_closed": False,
         "subject": "a person's task", "is_deleted": False, "system_modstamp": SF_TS},
        {"id": "00T3", "what_id": SF[6], "type": "Visit", "status": "Not Started", "is_closed": False,
         "cadence_task_key_c": f"salesforce:{SF[6]}:2024-05-01", "owner_id": U1, "is_deleted": False,
         "subject": "Overdue visit: SF 6", "system_modstamp": SF_TS},
        {"id": "00T4", "what_id": SF[7], "type": "Visit", "status": "Not Started", "is_closed": False,
         "description": f"Please visit.\ncadence-task-key: salesforce:{SF[7]}:2024-06-01\n",
         "owner_id": U1, "subject": "Overdue visit: SF 7", "is_deleted": False, "system_modstamp": SF_TS},
    ])
    insert_rows(con, "raw_salesforce", "contact", [
        {"id": f"003{n}", "account_id": acc, "is_deleted": deleted, "system_modstamp": SF_TS}
        for n, acc, deleted in [(1, SF[1], False), (2, SF[1], False), (3, SF[1], True), (4, SF[4], False)]
    ])
    insert_rows(con, "raw_salesforce", "opportunity", [
        {"id": "0061", "account_id": SF[1], "created_date": "2023-05-01T00:00:00Z", "is_deleted": False},
        {"id": "0062", "account_id": SF[1], "created_date": "2024-02-01T00:00:00Z", "is_deleted": False},
    ])

    insert_rows(con, "raw_hubspot", "owners", [
        {"id": "101", "first_name": "Hana", "last_name": "Hub", "archived": False, "updated_at": SF_TS},
    ])
    insert_rows(con, "raw_hubspot", "companies", [
        hs_company("9001", "lead"),                                  # prospect at stage 5
        hs_company("9002", "opportunity"),                           # prospect, 2 visits in June
        hs_company("9003", "salesqualifiedlead"),                    # stalled, has an open task
        hs_company("9004", "customer", visit_cadence_days=14.0),     # overdue 15 ≥ 14 → High
        hs_company("9005", "evangelist"),                            # due_soon
        hs_company("9006", "customer", archived=True),
    ])
    insert_rows(con, "raw_hubspot", "meetings", [
        *[meeting(f"m1{i}", "9001", f"{day}T10:00:00Z")
          for i, day in enumerate(["2024-03-04", "2024-03-20", "2024-04-10", "2024-05-02", "2024-05-28"])],
        meeting("m16", "9001", None, hs_timestamp="2024-06-20T10:00:00Z"),  # hs_timestamp fallback
        meeting("m17", "9001", "2024-06-29T10:00:00Z", "CANCELED"),
        meeting("m18", "9001", "2024-06-28T10:00:00Z", "NO_SHOW"),
        meeting("m21", "9002", "2024-06-03T10:00:00Z"),
        meeting("m22", "9002", "2024-06-10T10:00:00Z", None),
        meeting("m31", "9003", "2024-05-10T10:00:00Z"),
        meeting("m41", "9004,9005", "2024-06-01T10:00:00Z"),
        meeting("m42", "9004", "2024-06-25T10:00:00Z", archived=True),
    ])
    insert_rows(con, "raw_hubspot", "tasks", [
        {"id": "t1", "hs_task_status": "NOT_STARTED", "cadence_task_key": "hubspot:9003:2024-06-09",
         "company_ids": "9003", "archived": False},
        {"id": "t2", "hs_task_status": "COMPLETED", "company_ids": "9005", "archived": False,
         "hs_task_body": "done\ncadence-task-key: hubspot:9005:2024-05-01"},
        {"id": "t3", "hs_task_status": "NOT_STARTED", "company_ids": "9004", "archived": False,
         "hs_task_body": "call them back"},
    ])
    insert_rows(con, "raw_hubspot", "contacts", [
        {"id": "c1", "company_ids": "9004", "archived": False},
        {"id": "c2", "company_ids": "9004,9005", "archived": False},
        {"id": "c3", "company_ids": "9004", "archived": True},
        {"id": "c4", "company_ids": "9005", "archived": False},
        {"id": "c5", "company_ids": "", "archived": False},
    ])
    insert_rows(con, "raw_hubspot", "deals", [
        {"id": "d1", "company_ids": "9004", "createdate": "2024-03-01T00:00:00Z", "archived": False},
    ])


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    tmp = tmp_path_factory.mktemp("dbt")
    warehouse = tmp / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        load_raw(con)
    run_dbt(["build"], warehouse, as_of=AS_OF, target_path=tmp / "target")
    run_dbt(["docs", "generate", "--no-compile"], warehouse, as_of=AS_OF, target_path=tmp / "target")
    assert (tmp / "target" / "catalog.json").exists()
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, tuple]:
    """First column → the remaining columns."""
    return {r[0]: tuple(r[1:]) for r in con.execute(sql).fetchall()}


def test_account_cadence(marts: duckdb.DuckDBPyConnection) -> None:
    got = rows(marts, """select account_key, status, cadence_days, visit_count, last_visit_date,
        next_visit_due, days_overdue, cadence_status, next_planned_visit_date
        from marts.account_cadence""")
    d = date
    assert got == {
        f"salesforce:{SF[1]}": ("active", 30, 2, d(2024, 5, 1), d(2024, 5, 31), 30, "overdue",
                                d(2024, 7, 20)),
        f"salesforce:{SF[2]}": ("active", 30, 1, d(2024, 6, 7), d(2024, 7, 7), -7, "due_soon", None),
        f"salesforce:{SF[3]}": ("active", 60, 1, d(2024, 5, 20), d(2024, 7, 19), -19, "on_track", None),
        f"salesforce:{SF[4]}": ("prospect", 30, 0, None, d(2024, 7, 15), -15, "never_visited", None),
        f"salesforce:{SF[5]}": ("active", 30, 1, d(2024, 5, 15), d(2024, 6, 14), 16, "overdue",
                                d(2024, 7, 5)),
        f"salesforce:{SF[7]}": ("active", 30, 1, d(2024, 6, 25), d(2024, 7, 25), -25, "on_track", None),
        "hubspot:9001": ("prospect", 30, 6, d(2024, 6, 20), d(2024, 7, 20), -20, "on_track", None),
        "hubspot:9002": ("prospect", 30, 2, d(2024, 6, 10), d(2024, 7, 10), -10, "on_track", None),
        "hubspot:9003": ("prospect", 30, 1, d(2024, 5, 10), d(2024, 6, 9), 21, "overdue", None),
        "hubspot:9004": ("active", 14, 1, d(2024, 6, 1), d(2024, 6, 15), 15, "overdue", None),
        "hubspot:9005": ("active", 30, 1, d(2024, 6, 1), d(2024, 7, 1), -1, "due_soon", None),
    }
    owner = rows(marts, f"""select account_key, owner_name, days_since_last_visit, visits_last_90d
        from marts.account_cadence where account_key in ('hubspot:9001', 'salesforce:{SF[1]}')""")
    assert owner == {"hubspot:9001": ("Hana Hub", 10, 4), f"salesforce:{SF[1]}": ("Sam Rep", 60, 2)}


def test_visit_gaps(marts: duckdb.DuckDBPyConnection) -> None:
    got = marts.execute(f"""select visit_number, visit_date, previous_visit_date, gap_days, within_cadence
        from marts.visit_gaps where account_key = 'salesforce:{SF[1]}' order by 1""").fetchall()
    assert got == [
        (1, date(2024, 4, 10), None, None, None),
        (2, date(2024, 5, 1), date(2024, 4, 10), 21, True),
    ]
    assert marts.execute("select count(*) from marts.visit_gaps").fetchone() == (17,)


def test_prospects(marts: duckdb.DuckDBPyConnection) -> None:
    got = rows(marts, """select account_key, cohort_month, visit_count, stage, fifth_visit_date,
        ready_to_reclassify, stalled from marts.prospect_progression""")
    assert got == {
        f"salesforce:{SF[4]}": (None, 0, 0, None, False, False),
        "hubspot:9001": (date(2024, 3, 1), 6, 5, date(2024, 5, 28), True, False),
        "hubspot:9002": (date(2024, 6, 1), 2, 2, None, False, False),
        "hubspot:9003": (date(2024, 5, 1), 1, 1, None, False, True),
    }
    waterfall = marts.execute("select * from marts.prospect_waterfall order by cohort_month").fetchall()
    assert waterfall == [
        ("101", date(2024, 3, 1), 1, 1, 1, 1, 1),
        ("101", date(2024, 5, 1), 1, 0, 0, 0, 0),
        ("101", date(2024, 6, 1), 1, 1, 0, 0, 0),
    ]


def test_referral_potential(marts: duckdb.DuckDBPyConnection) -> None:
    got = rows(marts, """select account_key, referrer_count, referrals_12m, potential_rank, visits_180d,
        round(visit_share, 4), round(potential_share, 4), round(allocation_gap, 4)
        from marts.referral_potential""")
    assert got["hubspot:9004"] == (2, 1, 1, 1, round(1 / 11, 4), 0.5, round(0.5 - 1 / 11, 4))
    assert got["hubspot:9005"] == (2, 0, 2, 1, round(1 / 11, 4), 0.5, round(0.5 - 1 / 11, 4))
    assert [got[f"hubspot:900{n}"][2] for n in (1, 2, 3)] == [3, 3, 3]  # ties share a rank
    assert got[f"salesforce:{SF[1]}"][:3] == (2, 1, 1)
    assert got[f"salesforce:{SF[4]}"] == (1, 0, 1, 0, 0.0, 1.0, 1.0)  # owner without visits


def test_rep_rhythm(marts: duckdb.DuckDBPyConnection) -> None:
    got = rows(marts, """select owner_id, owner_name, active_accounts, active_overdue, on_cadence_pct,
        prospects_in_progress, new_prospects_this_month, new_prospects_last_month, ready_to_reclassify,
        visits_last_30d from marts.rep_rhythm""")
    assert got == {
        U1: ("Sam Rep", 5, 2, 60.0, 0, 0, 0, 0, 2),
        U2: ("Una Two", 0, 0, None, 0, 0, 0, 0, 0),
        "101": ("Hana Hub", 2, 1, 50.0, 2, 1, 1, 1, 5),
    }


def test_overdue_visit_tasks(marts: duckdb.DuckDBPyConnection) -> None:
    got = marts.execute("""select action, task_key, account_key, owner_id, due_date, days_overdue, priority,
        crm_task_id from marts.overdue_visit_tasks order by action desc, task_key""").fetchall()
    assert got == [
        ("create", "hubspot:9004:2024-06-15", "hubspot:9004", "101", AS_OF, 15, "High", None),
        ("create", f"salesforce:{SF[1]}:2024-05-31", f"salesforce:{SF[1]}", U1, AS_OF, 30, "High", None),
        ("close", f"salesforce:{SF[6]}:2024-05-01", f"salesforce:{SF[6]}", U1, AS_OF, None, "Normal", "00T3"),
        ("close", f"salesforce:{SF[7]}:2024-06-01", f"salesforce:{SF[7]}", U1, AS_OF, -25, "Normal", "00T4"),
    ]


def test_failure_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DbtRunError) as failure:
        run_dbt(["run", "--select", "int_visits"], tmp_path / "empty.duckdb", target_path=tmp_path / "target")
    assert "\n" not in str(failure.value)
    assert str(failure.value).startswith("dbt run --select int_visits failed:")
