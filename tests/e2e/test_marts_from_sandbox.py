"""The contract's rules end to end: a hand-built org in the sandbox, synced over HTTP(S), built by dbt.

Every expected value below was computed by hand from data-contract.md for as-of 2026-06-30.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from ingest.hubspot import sync_hubspot
from ingest.salesforce import sync_salesforce
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.dbt_runner import run_dbt
from tests.helpers import serve_org

AS_OF = date(2026, 6, 30)
STAMP = "2026-06-25T08:00:00.000+0000"
HS_STAMP = "2026-06-25T08:00:00.000Z"
DANA = "005000000000001AAA"
A1, A2, A3, A4, A5, A6 = (f"00100000000000{n}AAA" for n in range(1, 7))


def _sf(record_id: str, **fields: Any) -> dict[str, Any]:
    return {"Id": record_id, "SystemModstamp": STAMP, "IsDeleted": False, **fields}


def _account(record_id: str, name: str, kind: str, created: str, cadence: float | None = None, **extra: Any):
    return _sf(
        record_id,
        Name=name,
        Type=kind,
        OwnerId=DANA,
        CreatedDate=f"{created}T09:00:00.000+0000",
        Visit_Cadence_Days__c=cadence,
        **extra,
    )


def _event(n: int, day: str, account: str | None, what: str | None = None, kind: str = "Visit"):
    return _sf(
        f"00U00000000000{n:02d}AA",
        AccountId=account,
        WhatId=what or account,
        OwnerId=DANA,
        Type=kind,
        Subject="Visit",
        ActivityDate=day,
        StartDateTime=f"{day}T12:00:00.000+0000",
        CreatedDate=STAMP,
    )


def _hs(record_id: str, properties: dict[str, Any], companies: list[str] | None = None) -> dict[str, Any]:
    record = {
        "id": record_id,
        "properties": {"hs_lastmodifieddate": HS_STAMP, **properties},
        "createdAt": HS_STAMP,
        "updatedAt": HS_STAMP,
        "archived": False,
    }
    if companies is not None:
        record["associations"] = {"companies": companies}
    return record


def _meeting(record_id: str, day: str, outcome: str) -> dict[str, Any]:
    start = f"{day}T15:00:00.000Z"
    props = {
        "hs_meeting_title": "Visit",
        "hs_meeting_start_time": start,
        "hs_timestamp": start,
        "hs_meeting_outcome": outcome,
        "hubspot_owner_id": "101",
        "hs_createdate": HS_STAMP,
    }
    return _hs(record_id, props, ["9001"])


ORG: dict[str, Any] = {
    "salesforce": {
        "User": [
            {
                "Id": DANA,
                "Name": "Dana Reyes",
                "Email": "dana@example.com",
                "IsActive": True,
                "SystemModstamp": STAMP,
            }
        ],
        "Account": [
            _account(A1, "Mercy General", "Active Referral Source", "2025-01-01"),
            _account(A2, "Lakeside Clinic", "Prospect", "2026-06-01"),
            _account(A3, "Harbor SNF", "Customer - Direct", "2025-03-01", cadence=14),
            _account(A4, "Old Town Practice", "Prospect", "2025-10-01"),
            _account(A5, "Gone Hospital", "Active Referral Source", "2025-01-01", IsDeleted=True),
            _account(A6, "Vendor Inc", "Vendor", "2025-01-01"),
        ],
        "Contact": [
            _sf(
                f"00300000000000{n}AAA",
                AccountId=account,
                Name=f"Dr. {n}",
                Title="Physician",
                CreatedDate=STAMP,
                IsDeleted=deleted,
            )
            for n, account, deleted in [
                (1, A1, False),
                (2, A1, False),
                (3, A1, False),
                (4, A1, True),
                (5, A4, False),
            ]
        ],
        "Event": [
            _event(1, "2026-05-01", A1),
            _event(2, "2026-05-01", A1, kind="Meeting"),  # same day: one visit
            _event(3, "2026-05-20", A1),
            _event(4, "2026-06-10", A1, kind="Call"),  # not a visit type
            *(
                _event(10 + i, day, None, what=A4)
                for i, day in enumerate(
                    ["2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10", "2026-05-10"]
                )
            ),  # WhatId fallback
            _event(20, "2026-07-05", A4),  # planned, within the 14-day grace: suppresses the task
        ],
        "Task": [
            _sf(
                "00T000000000001AAA",
                WhatId=A3,
                OwnerId=DANA,
                Subject="Visit",
                Type="Visit",
                Status="Completed",
                Priority="Normal",
                ActivityDate="2026-06-20",
                IsClosed=True,
                CreatedDate=STAMP,
                Cadence_Task_Key__c=None,
            ),
        ],
        "Opportunity": [
            _sf(
                "006000000000001AAA",
                AccountId=A1,
                Name="Referral - J. Doe",
                CreatedDate="2026-03-01T10:00:00.000+0000",
            ),
        ],
    },
    "hubspot": {
        "owners": [
            {
                "id": "101",
                "email": "sam@example.com",
                "firstName": "Sam",
                "lastName": "Ortiz",
                "archived": False,
                "createdAt": HS_STAMP,
                "updatedAt": HS_STAMP,
            }
        ],
        "companies": [
            _hs(
                "9001",
                {
                    "name": "Lakeside Family Practice",
                    "lifecyclestage": "customer",
                    "hubspot_owner_id": "101",
                    "visit_cadence_days": "45",
                    "createdate": "2025-11-01T00:00:00.000Z",
                },
            ),
            _hs(
                "9002",
                {
                    "name": "Riverside Hospital",
                    "lifecyclestage": "lead",
                    "hubspot_owner_id": "101",
                    "createdate": "2026-06-20T00:00:00.000Z",
                },
            ),
        ],
        "contacts": [
            _hs(str(8001 + n), {"firstname": "Ann", "lastname": f"Lee {n}"}, ["9001"]) for n in range(2)
        ],
        "meetings": [
            _meeting("7001", "2026-05-01", "COMPLETED"),
            _meeting("7002", "2026-06-01", "CANCELED"),
            _meeting("7003", "2026-06-02", "NO_SHOW"),
        ],
        "tasks": [],
        "deals": [_hs("6001", {"dealname": "Referral", "createdate": "2026-02-01T00:00:00.000Z"}, ["9001"])],
        "custom_properties": {"companies": ["visit_cadence_days"], "tasks": ["cadence_task_key"]},
    },
}


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("contract")
    warehouse = tmp / "warehouse.duckdb"
    with serve_org(ORG, tmp) as running:
        sync_salesforce(salesforce_config(running), warehouse)
        sync_hubspot(hubspot_config(running), warehouse)
    run_dbt(["run"], warehouse, as_of=AS_OF, target_path=tmp / "target")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, tuple]:
    return {row[0]: tuple(row[1:]) for row in con.execute(sql).fetchall()}


def test_account_cadence(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        """
        select account_key, status, cadence_days, visit_count, last_visit_date, next_visit_due, days_overdue,
               cadence_status, next_planned_visit_date, owner_name
        from marts.account_cadence""",
    )
    d = date
    assert got == {
        f"salesforce:{A1}": (
            "active",
            30,
            2,
            d(2026, 5, 20),
            d(2026, 6, 19),
            11,
            "overdue",
            None,
            "Dana Reyes",
        ),
        f"salesforce:{A2}": ("prospect", 30, 0, None, d(2026, 7, 1), -1, "never_visited", None, "Dana Reyes"),
        f"salesforce:{A3}": (
            "active",
            14,
            1,
            d(2026, 6, 20),
            d(2026, 7, 4),
            -4,
            "due_soon",
            None,
            "Dana Reyes",
        ),
        f"salesforce:{A4}": (
            "prospect",
            30,
            5,
            d(2026, 5, 10),
            d(2026, 6, 9),
            21,
            "overdue",
            d(2026, 7, 5),
            "Dana Reyes",
        ),
        "hubspot:9001": ("active", 45, 1, d(2026, 5, 1), d(2026, 6, 15), 15, "overdue", None, "Sam Ortiz"),
        "hubspot:9002": ("prospect", 30, 0, None, d(2026, 7, 20), -20, "never_visited", None, "Sam Ortiz"),
    }


def test_visit_gaps_collapse_same_day_visits(marts: duckdb.DuckDBPyConnection) -> None:
    got = marts.execute(f"""
        select visit_date, visit_number, previous_visit_date, gap_days, within_cadence
        from marts.visit_gaps where account_key = 'salesforce:{A1}' order by visit_number""").fetchall()
    assert got == [
        (date(2026, 5, 1), 1, None, None, None),
        (date(2026, 5, 1 + 19), 2, date(2026, 5, 1), 19, True),
    ]


def test_prospect_progression_graduates_at_five_visits(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        """
        select account_key, stage, cohort_month, fifth_visit_date, ready_to_reclassify, stalled
        from marts.prospect_progression""",
    )
    assert got == {
        f"salesforce:{A2}": (0, None, None, False, False),
        f"salesforce:{A4}": (5, date(2026, 1, 1), date(2026, 5, 10), True, False),
        "hubspot:9002": (0, None, None, False, False),
    }


def test_referral_potential_ranks_and_shares(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        """
        select account_key, referrer_count, referrals_12m, potential_rank, visits_180d,
               round(visit_share, 4), round(potential_share, 4), round(allocation_gap, 4)
        from marts.referral_potential""",
    )
    assert got == {
        f"salesforce:{A1}": (3, 1, 1, 2, 0.25, 0.75, 0.5),
        f"salesforce:{A4}": (1, 0, 2, 5, 0.625, 0.25, -0.375),
        f"salesforce:{A2}": (0, 0, 3, 0, 0.0, 0.0, 0.0),
        f"salesforce:{A3}": (0, 0, 3, 1, 0.125, 0.0, -0.125),
        "hubspot:9001": (2, 1, 1, 1, 1.0, 1.0, 0.0),
        "hubspot:9002": (0, 0, 2, 0, 0.0, 0.0, 0.0),
    }


def test_queue_creates_for_overdue_accounts_without_planned_visits(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        """
        select task_key, action, owner_id, due_date, days_overdue, priority, crm_task_id
        from marts.overdue_visit_tasks""",
    )
    assert got == {
        # 11 and 15 days overdue are less than a cadence, but both are their owner's top potential
        # (rank 1: in the top 20% of the book, priority_high_top_potential_share): High.
        f"salesforce:{A1}:2026-06-19": ("create", DANA, AS_OF, 11, "High", None),
        "hubspot:9001:2026-06-15": ("create", "101", AS_OF, 15, "High", None),
    }
