"""Who was met and who can refer, end to end: a hand-built two-CRM org served by the sandbox, synced over
HTTP(S) with the real clients, built by dbt with referrer title patterns, checked row by row.

As of 2026-06-30 (share window 180 days: 2026-01-02 .. 06-30; referral window 365: 2025-07-01 ..),
rules `referrer_title_patterns: ['%physician%', 'NP', '%case manager%']` (ILIKE):

Salesforce, "Six Doc Practice" (A1, active) and "Solo GP" (A2, prospect):
| contact        | title          | referrer | met on (visits only)                      | referred   |
|----------------|----------------|----------|-------------------------------------------|------------|
| C1 Dr. Ann Lee | Physician      | yes      | 05-01 (E1 invitee, E2 WhoId: one), 06-10  | O1, not O2 |
| C2 Dr. Bo Kim  | physician      | yes      | never (E4 is a Call, E7 is planned)       | O1 (role)  |
| C3 Cy Ng       | NP             | yes      | never                                     | —          |
| C4 Di Wu       | Office Manager | no       | 05-01 (E1's WhoId)                        | —          |
| C5 Ed Li       | Case Manager   | yes      | 2025-11-01 (before the share window)      | —          |
| C6 Fay Orr     | Physician      | deleted  |                                           |            |
| C7 Dr. Gil Poe | Physician      | yes (A2) | 06-20                                     | O3         |

HubSpot, company 9001 (active): 8001 "Physician Assistant" met at two meetings of 06-01 (one day);
8002 "Receptionist" (no referrer) met too; 8003 "physician" only at a CANCELED meeting (never met).
Deal D1 (2026-05-15) names 8001 and 8003.
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
from orchestration.rules import Rules
from tests.helpers import serve_org

AS_OF = date(2026, 6, 30)
STAMP = "2026-06-25T08:00:00.000+0000"
HS_STAMP = "2026-06-25T08:00:00.000Z"
DANA = "005000000000001AAA"
A1, A2 = "001000000000001AAA", "001000000000002AAA"
C = {n: f"003{n:012d}AAA" for n in range(1, 8)}
OPP = {n: f"006{n:012d}AAA" for n in range(1, 4)}
RULES = Rules(referrer_title_patterns=["%physician%", "NP", "%case manager%"])


def _sf(record_id: str, **fields: Any) -> dict[str, Any]:
    return {"Id": record_id, "CreatedDate": STAMP, "SystemModstamp": STAMP, "IsDeleted": False, **fields}


def _event(n: int, day: str, account: str, who: str, kind: str = "Visit") -> dict[str, Any]:
    return _sf(f"00U{n:012d}AAA", AccountId=account, WhatId=account, WhoId=who, OwnerId=DANA, Type=kind,
               Subject="Visit", ActivityDate=day, StartDateTime=f"{day}T12:00:00.000+0000")  # fmt: skip


def _relation(n: int, event: int, contact: str, **flags: bool) -> dict[str, Any]:
    return _sf(f"0RE{n:012d}AAA", EventId=f"00U{event:012d}AAA", RelationId=contact, AccountId=A1, **flags)


def _role(n: int, opportunity: int, contact: str, primary: bool) -> dict[str, Any]:
    return _sf(f"00K{n:012d}AAA", OpportunityId=OPP[opportunity], ContactId=contact, IsPrimary=primary)


def _hs(record_id: str, properties: dict[str, Any], **links: list[str]) -> dict[str, Any]:
    return {"id": record_id, "properties": {"hs_lastmodifieddate": HS_STAMP, **properties},
            "createdAt": HS_STAMP, "updatedAt": HS_STAMP, "archived": False,
            "associations": links}  # fmt: skip


def _meeting(record_id: str, day: str, outcome: str, contacts: list[str]) -> dict[str, Any]:
    start = f"{day}T15:00:00.000Z"
    props = {"hs_meeting_title": "Visit", "hs_meeting_start_time": start, "hs_timestamp": start,
             "hs_meeting_outcome": outcome, "hubspot_owner_id": "101", "hs_createdate": HS_STAMP}  # fmt: skip
    return _hs(record_id, props, companies=["9001"], contacts=contacts)


ORG: dict[str, Any] = {
    "salesforce": {
        "User": [{"Id": DANA, "Name": "Dana Reyes", "Email": "dana@example.com", "IsActive": True,
                  "SystemModstamp": STAMP}],
        "Account": [
            _sf(A1, Name="Six Doc Practice", Type="Active Referral Source", OwnerId=DANA),
            _sf(A2, Name="Solo GP", Type="Prospect", OwnerId=DANA),
        ],
        "Contact": [
            _sf(C[1], AccountId=A1, Name="Dr. Ann Lee", Title="Physician"),
            _sf(C[2], AccountId=A1, Name="Dr. Bo Kim", Title="physician"),
            _sf(C[3], AccountId=A1, Name="Cy Ng", Title="NP"),
            _sf(C[4], AccountId=A1, Name="Di Wu", Title="Office Manager"),
            _sf(C[5], AccountId=A1, Name="Ed Li", Title="Case Manager"),
            _sf(C[6], AccountId=A1, Name="Fay Orr", Title="Physician", IsDeleted=True),
            _sf(C[7], AccountId=A2, Name="Dr. Gil Poe", Title="Physician"),
        ],
        "Event": [
            _event(1, "2026-05-01", A1, C[4]),
            _event(2, "2026-05-01", A1, C[1], kind="Meeting"),
            _event(3, "2026-06-10", A1, C[1]),
            _event(4, "2026-06-15", A1, C[2], kind="Call"),
            _event(5, "2025-11-01", A1, C[5]),
            _event(6, "2026-06-20", A2, C[7]),
            _event(7, "2026-07-05", A1, C[2]),
        ],
        # E1: Dr. Lee invited; its WhoId again as the Shared Activities IsParent row.
        "EventRelation": [
            _relation(1, 1, C[1], IsInvitee=True),
            _relation(2, 1, C[4], IsParent=True),
        ],
        "Opportunity": [
            _sf(OPP[1], AccountId=A1, Name="Referral 1", StageName="Closed Won",
                CreatedDate="2026-03-01T10:00:00.000+0000"),
            _sf(OPP[2], AccountId=A1, Name="Referral 2", StageName="Closed Won",
                CreatedDate="2025-06-01T10:00:00.000+0000"),
            _sf(OPP[3], AccountId=A2, Name="Referral 3", StageName="Closed Won",
                CreatedDate="2026-04-01T10:00:00.000+0000"),
        ],
        "OpportunityContactRole": [
            _role(1, 1, C[1], True), _role(2, 1, C[2], False), _role(3, 2, C[1], True),
            _role(4, 3, C[7], True),
        ],
    },
    "hubspot": {
        "owners": [{"id": "101", "email": "sam@example.com", "firstName": "Sam", "lastName": "Ortiz",
                    "archived": False, "createdAt": HS_STAMP, "updatedAt": HS_STAMP}],
        "companies": [
            _hs("9001", {"name": "Lakeside Family Practice", "lifecyclestage": "customer",
                         "hubspot_owner_id": "101", "createdate": "2025-11-01T00:00:00.000Z"}),
        ],
        "contacts": [
            _hs("8001", {"firstname": "Hal", "lastname": "Ives", "jobtitle": "Physician Assistant"},
                companies=["9001"]),
            _hs("8002", {"firstname": "Ida", "lastname": "Jo", "jobtitle": "Receptionist"},
                companies=["9001"]),
            _hs("8003", {"firstname": "Jan", "lastname": "Ko", "jobtitle": "physician"},
                companies=["9001"]),
        ],
        "meetings": [
            _meeting("7001", "2026-06-01", "COMPLETED", ["8001", "8002"]),
            _meeting("7002", "2026-06-01", "COMPLETED", ["8001"]),
            _meeting("7003", "2026-06-05", "CANCELED", ["8003"]),
        ],
        "deals": [
            _hs("6001", {"dealname": "Referral", "createdate": "2026-05-15T00:00:00.000Z"},
                companies=["9001"], contacts=["8001", "8003"]),
        ],
        "tasks": [],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("coverage")
    warehouse = tmp / "warehouse.duckdb"
    with serve_org(ORG, tmp) as running:
        sync_salesforce(salesforce_config(running), warehouse)
        sync_hubspot(hubspot_config(running), warehouse)
    select = ["run", "--select", "+referral_potential"]  # referrer_coverage is upstream of it
    run_dbt(select, warehouse, as_of=AS_OF, target_path=tmp / "target", rules=RULES)
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_referrer_coverage_row_by_row(marts: duckdb.DuckDBPyConnection) -> None:
    rows = marts.execute("""
        select contact_key, account_key, owner_id, contact_name, title, visits_met, first_met_date,
               last_met_date, days_since_met, never_met, met_in_share_window, referrals_12m
        from marts.referrer_coverage order by contact_key""").fetchall()
    d = date
    assert rows == [
        ("hubspot:8001", "hubspot:9001", "101", "Hal Ives", "Physician Assistant",
         1, d(2026, 6, 1), d(2026, 6, 1), 29, False, True, 1),
        ("hubspot:8003", "hubspot:9001", "101", "Jan Ko", "physician", 0, None, None, None, True, False, 1),
        (f"salesforce:{C[1]}", f"salesforce:{A1}", DANA, "Dr. Ann Lee", "Physician",
         2, d(2026, 5, 1), d(2026, 6, 10), 20, False, True, 1),
        (f"salesforce:{C[2]}", f"salesforce:{A1}", DANA, "Dr. Bo Kim", "physician",
         0, None, None, None, True, False, 1),
        (f"salesforce:{C[3]}", f"salesforce:{A1}", DANA, "Cy Ng", "NP", 0, None, None, None, True, False, 0),
        (f"salesforce:{C[5]}", f"salesforce:{A1}", DANA, "Ed Li", "Case Manager",
         1, d(2025, 11, 1), d(2025, 11, 1), 241, False, False, 0),
        (f"salesforce:{C[7]}", f"salesforce:{A2}", DANA, "Dr. Gil Poe", "Physician",
         1, d(2026, 6, 20), d(2026, 6, 20), 10, False, True, 1),
    ]  # fmt: skip


def test_attendees_are_one_row_per_visit_day_and_contact(marts: duckdb.DuckDBPyConnection) -> None:
    rows = marts.execute("""
        select account_key, visit_date, contact_id, is_planned
        from intermediate.int_visit_attendees order by account_key, visit_date, contact_id""").fetchall()
    d = date
    assert rows == [
        ("hubspot:9001", d(2026, 6, 1), "8001", False),
        ("hubspot:9001", d(2026, 6, 1), "8002", False),
        (f"salesforce:{A1}", d(2025, 11, 1), C[5], False),
        (f"salesforce:{A1}", d(2026, 5, 1), C[1], False),
        (f"salesforce:{A1}", d(2026, 5, 1), C[4], False),
        (f"salesforce:{A1}", d(2026, 6, 10), C[1], False),
        (f"salesforce:{A1}", d(2026, 7, 5), C[2], True),
        (f"salesforce:{A2}", d(2026, 6, 20), C[7], False),
    ]


def test_referral_potential_flags_the_practice_where_one_referrer_of_four_is_met(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    rows = marts.execute("""
        select account_key, referrer_count, referrers_met_180d, coverage_share, is_under_covered
        from marts.referral_potential order by account_key""").fetchall()
    assert rows == [
        ("hubspot:9001", 2, 1, 0.5, False),
        (f"salesforce:{A1}", 4, 1, 0.25, True),
        (f"salesforce:{A2}", 1, 1, 1.0, False),
    ]
