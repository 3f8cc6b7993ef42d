"""A small hand-made org (both CRMs) whose writeback outcome is computed by hand from the contract.

As of 2026-11-27, default cadence 30 days, grace for planned visits 14 days (so up to 2026-12-11):

| n | status           | last visit | planned    | next due   | days overdue | task                |
|---|------------------|------------|------------|------------|--------------|---------------------|
| 1 | active           | 2026-10-01 |            | 2026-10-31 | 27           | create, Normal      |
| 2 | prospect         | 2026-09-01 |            | 2026-10-01 | 57           | create, High        |
| 3 | active           | 2026-08-01 | 2026-12-11 | 2026-08-31 | 88           | none (planned)      |
| 4 | active           | 2026-11-20 |            | 2026-12-20 | -23          | none (on track)     |
| 5 | out of scope     | 2026-01-10 |            |            |              | none (out of scope) |
| 6 | active, 60 days  | 2026-08-01 |            | 2026-09-30 | 58           | create, Normal      |
| 7 | prospect, never  | created 2026-09-01 |    | 2026-10-01 | 57           | create, High        |
| 8 | active           | 2026-09-28 | 2026-12-12 | 2026-10-28 | 30           | create, High        |

People's tasks (no key) sit on accounts 1 (subject exactly like ours), 7 (our key quoted in prose,
without the key marker) and 4 (an on-track account, subject like ours): the pipeline must never touch
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

AS_OF = date(2026, 11, 27)
SF_USERS = {"dana": "005000000000001AAA", "sam": "005000000000002AAA"}
HS_OWNERS = {"dana": "101", "sam": "102"}
SF_CREATED = "2026-01-05T09:00:00.000+0000"
HS_CREATED = "2026-01-05T09:00:00.000Z"


@dataclass(frozen=True)
class Account:
    n: int
    name: str
    status: str | None  # "active" | "prospect" | None (out of scope)
    owner: str
    visits: tuple[str, ...] = ()  # done and planned visit dates
    cadence_days: int | None = None
    created: str = "2026-01-05"


@dataclass(frozen=True)
class ExpectedTask:
    n: int
    owner: str
    next_due: str
    days_overdue: int
    priority: str  # "High" | "Normal"


ACCOUNTS = (
    Account(1, "Mercy General", "active", "dana", ("2026-10-01",)),
    Account(2, "Harbor Clinic", "prospect", "sam", ("2026-09-01",)),
    Account(3, "Planned Pediatrics", "active", "dana", ("2026-08-01", "2026-12-11")),
    Account(4, "On-Track Orthopedics", "active", "sam", ("2026-11-20",)),
    Account(5, "Vendor Supplies", None, "dana", ("2026-01-10",)),
    Account(6, "Slow Cadence Hospice", "active", "sam", ("2026-08-01",), cadence_days=60),
    Account(7, "Never Visited Neurology", "prospect", "dana", (), created="2026-09-01"),
    Account(8, "Late Plan Cardiology", "active", "dana", ("2026-09-28", "2026-12-12")),
)

EXPECTED_TASKS = (
    ExpectedTask(1, "dana", "2026-10-31", 27, "Normal"),
    ExpectedTask(2, "sam", "2026-10-01", 57, "High"),
    ExpectedTask(6, "sam", "2026-09-30", 58, "Normal"),
    ExpectedTask(7, "dana", "2026-10-01", 57, "High"),
    ExpectedTask(8, "dana", "2026-10-28", 30, "High"),
)
VISITED_ON_AS_OF = 1  # run 3 logs a visit on this account: exactly its task closes

SF_TYPES = {"active": "Active Referral Source", "prospect": "Prospect", None: "Vendor"}
HS_STAGES = {"active": "customer", "prospect": "lead", None: "other"}


def sf_account_id(n: int) -> str:
    return f"001{n:012d}AAA"


def hs_company_id(n: int) -> str:
    return str(9000 + n)


def hand_made_org() -> dict[str, Any]:
    return {"salesforce": _salesforce(), "hubspot": _hubspot()}


# ---- Salesforce ---------------------------------------------------------------------------------
def _sf_live(created: str = SF_CREATED) -> dict[str, Any]:
    return {"CreatedDate": created, "SystemModstamp": created, "IsDeleted": False}


def _salesforce() -> dict[str, Any]:
    users = [
        {"Id": SF_USERS["dana"], "Name": "Dana Reyes", "Email": "dana@example.com", "IsActive": True,
         "SystemModstamp": SF_CREATED},
        {"Id": SF_USERS["sam"], "Name": "Sam Ortiz", "Email": "sam@example.com", "IsActive": True,
         "SystemModstamp": SF_CREATED},
    ]  # fmt: skip
    accounts = [
        {"Id": sf_account_id(a.n), "Name": a.name, "Type": SF_TYPES[a.status], "OwnerId": SF_USERS[a.owner],
         "ParentId": None, "Visit_Cadence_Days__c": a.cadence_days,
         **_sf_live(f"{a.created}T09:00:00.000+0000")}
        for a in ACCOUNTS
    ]  # fmt: skip
    events = [
        sf_visit_event(f"00U{100 * a.n + i:012d}AAA", a.n, day, a.owner)
        for a in ACCOUNTS
        for i, day in enumerate(a.visits)
    ]
    return {"User": users, "Account": accounts, "Event": events, "Task": _sf_people_tasks()}


def sf_visit_event(event_id: str | None, n: int, day: str, owner: str = "dana") -> dict[str, Any]:
    """A visit Event on account n; without an id, the fields a rep's create call sends (WhatId only)."""
    record = {
        "WhatId": sf_account_id(n), "OwnerId": SF_USERS[owner], "Type": "Visit", "Subject": "Drop-in",
        "ActivityDate": day, "StartDateTime": f"{day}T15:00:00.000+0000",
    }  # fmt: skip
    if event_id is None:
        return record
    return {"Id": event_id, "AccountId": sf_account_id(n), **record, **_sf_live()}


def _sf_person_task(task_id: str, n: int, subject: str, description: str | None) -> dict[str, Any]:
    return {
        "Id": task_id, "AccountId": sf_account_id(n), "WhatId": sf_account_id(n),
        "OwnerId": SF_USERS["dana"], "Type": None, "Subject": subject, "Status": "Not Started",
        "Priority": "High", "ActivityDate": "2026-11-20", "IsClosed": False, "Description": description,
        **_sf_live(),
    }  # fmt: skip


def _sf_people_tasks() -> list[dict[str, Any]]:
    return [
        _sf_person_task("00T000000009001AAA", 1, "Overdue visit: Mercy General", "Bring the flu samples."),
        _sf_person_task(
            "00T000000009007AAA", 7, "Call the office manager",
            f"re salesforce:{sf_account_id(7)}:2026-10-01 - asked by Dana, not the pipeline",
        ),
        _sf_person_task("00T000000009004AAA", 4, "Overdue visit: On-Track Orthopedics", None),
    ]  # fmt: skip


# ---- HubSpot ------------------------------------------------------------------------------------
def _hs_envelope(record_id: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": record_id, "properties": properties, "createdAt": HS_CREATED, "updatedAt": HS_CREATED,
        "archived": False, **extra,
    }  # fmt: skip


def _hubspot() -> dict[str, Any]:
    owners = [
        {"id": HS_OWNERS["dana"], "email": "dana@example.com", "firstName": "Dana", "lastName": "Reyes",
         "archived": False, "createdAt": HS_CREATED, "updatedAt": HS_CREATED},
        {"id": HS_OWNERS["sam"], "email": "sam@example.com", "firstName": "Sam", "lastName": "Ortiz",
         "archived": False, "createdAt": HS_CREATED, "updatedAt": HS_CREATED},
    ]  # fmt: skip
    companies = [
        _hs_envelope(hs_company_id(a.n), {
            "name": a.name, "lifecyclestage": HS_STAGES[a.status], "hubspot_owner_id": HS_OWNERS[a.owner],
            "visit_cadence_days": None if a.cadence_days is None else str(a.cadence_days),
            "createdate": f"{a.created}T09:00:00.000Z", "hs_lastmodifieddate": HS_CREATED,
        })
        for a in ACCOUNTS
    ]  # fmt: skip
    meetings = [
        _hs_envelope(str(20000 + 10 * a.n + i), hs_meeting_properties(day, a.owner) | {
            "hs_createdate": HS_CREATED, "hs_lastmodifieddate": HS_CREATED,
        }, associations={"companies": [hs_company_id(a.n)]})
        for a in ACCOUNTS
        for i, day in enumerate(a.visits)
    ]  # fmt: skip
    return {
        "owners": owners,
        "companies": companies,
        "meetings": meetings,
        "tasks": _hs_people_tasks(),
        "custom_properties": {"companies": ["visit_cadence_days"]},
    }


def hs_meeting_properties(day: str, owner: str = "dana") -> dict[str, Any]:
    start = f"{day}T15:00:00.000Z"
    return {
        "hs_meeting_title": "Drop-in", "hs_meeting_start_time": start, "hs_timestamp": start,
        "hs_meeting_outcome": "COMPLETED" if day <= AS_OF.isoformat() else "SCHEDULED",
        "hubspot_owner_id": HS_OWNERS[owner],
    }  # fmt: skip


def _hs_person_task(task_id: str, n: int, subject: str, body: str | None) -> dict[str, Any]:
    properties = {
        "hs_task_subject": subject, "hs_task_body": body, "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH", "hs_timestamp": "2026-11-20T17:00:00.000Z",
        "hubspot_owner_id": HS_OWNERS["dana"], "hs_createdate": HS_CREATED, "hs_lastmodifieddate": HS_CREATED,
    }  # fmt: skip
    return _hs_envelope(task_id, properties, associations={"companies": [hs_company_id(n)]})


def _hs_people_tasks() -> list[dict[str, Any]]:
    return [
        _hs_person_task("30001", 1, "Overdue visit: Mercy General", "Bring the flu samples."),
        _hs_person_task(
            "30007", 7, "Call the office manager",
            f"re hubspot:{hs_company_id(7)}:2026-10-01 - asked by Dana, not the pipeline",
        ),
        _hs_person_task("30004", 4, "Overdue visit: On-Track Orthopedics", None),
    ]  # fmt: skip
