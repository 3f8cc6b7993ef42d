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


# ---- A referral org (issue 14): who can refer, referral trends, cadence by value ------------------
# One rep (dana) per CRM, as of AS_OF with the rules REFERRAL_RULES. Trend windows: last = (2026-08-29,
# 2026-11-27], prior = (2026-05-31, 2026-08-29], 12 months = (2025-11-27, 2026-11-27]. Books: Salesforce
# 5 in-scope accounts (top 0.2 = rank 1; top 0.5 = ranks 1-3), HubSpot 3 (top 0.2 = rank 1; 0.5 = 1-2).
#
# | acct | kind (override)     | referrers | rank | referrals last/prior/12m | trend    | cadence, source  |
# |------|----------------------|-----------|------|--------------------------|----------|-----------------|
# | S1   | Active Referral Src  | 6         | 1    | 1 / 4 / 5                | slipping | 30 top_potential |
# | S2   | Customer - Direct    | 3         | 2    | 0 / 0 / 0                | none     | 21 key_accounts |
# | S3   | Active Referral Src  | 2         | 3    | 2 / 0 / 2                | new      | 45 next_potential |
# | S4   | ARS (14)             | 1         | 4    | 0 / 2 / 2                | lapsed   | 14 override |
# | S5   | Prospect             | 0         | 5    | 0 / 0 / 0                | none     | 30 default |
# | S6   | Vendor               | 4         |      | out of scope             |          |  |
# | H1   | customer             | 2         | 1    | 3 / 2 / 5                | growing  | 30 top_potential |
# | H2   | customer             | 1         | 2    | 2 / 2 / 4                | steady   | 45 next_potential |
# | H3   | customer             | 0         | 3    | 0 / 0 / 0                | none     | 60 rest |
#
# Tasks: S1 last visit 10-01 → 27 days overdue, High (trend slipping); S3 09-01 + 45 → 42, Normal (new,
# rank 3 is no top); S5 never visited, created 01-05 → 296, High (very_overdue); H1 10-10 → 18, High
# (top_potential, growing); H2 09-01 + 45 → 42, Normal. S2 (11-20 + 21), S4 (11-20 + 14) and H3
# (11-10 + 60) are not due.
REFERRAL_RULES = """\
cadence_policy:
  - {name: key_accounts, crm_status: [Customer - Direct], cadence_days: 21}
  - {name: top_potential, potential_top_share: 0.2, cadence_days: 30}
  - {name: next_potential, potential_top_share: 0.5, cadence_days: 45}
  - {name: rest, status: [active], cadence_days: 60}
"""


@dataclass(frozen=True)
class ReferralAccount:
    n: int
    name: str
    kind: str  # Salesforce Type / HubSpot lifecyclestage
    referrers: tuple[tuple[str, str | None], ...]  # (name, title)
    referrals: tuple[str, ...]  # created dates
    visit: str | None = None
    cadence_days: int | None = None


S1_REFERRERS = (
    ("Dr. Ann Lee", "Physician"), ("Ben Ortiz", "NP"), ("Cara Diaz", "PA"), ("Dev Patel", "Case Manager"),
    ("Eli Wong", "Discharge Planner"), ("Fran Moss", "Office Manager"),
)  # fmt: skip
REFERRAL_SF = (
    ReferralAccount(1, "Suzy Lane Practice", "Active Referral Source", S1_REFERRERS,
                    ("2025-10-01", "2026-06-10", "2026-07-01", "2026-07-20", "2026-08-29", "2026-10-15"),
                    "2026-10-01"),
    ReferralAccount(2, "Key Clinic", "Customer - Direct",
                    (("Gil Ray", "MD"), ("Hana Kim", None), ("Ivo Tam", "RN")), (), "2026-11-20"),
    ReferralAccount(3, "Joe Single GP", "Active Referral Source", (("Joe Hart", "GP"), ("Kay Fry", None)),
                    ("2026-09-10", "2026-11-01"), "2026-09-01"),
    ReferralAccount(4, "Override Hospice", "Active Referral Source", (("Lu Chan", "Case Manager"),),
                    ("2026-06-15", "2026-08-01"), "2026-11-20", cadence_days=14),
    ReferralAccount(5, "New Prospect Ortho", "Prospect", (), ()),
    ReferralAccount(6, "Vendor Supplies", "Vendor", tuple((f"V{i} Vee", None) for i in range(4)),
                    ("2026-11-01",)),
)  # fmt: skip
REFERRAL_HS = (
    ReferralAccount(1, "Harbor Hospital", "customer", (("Mia Cole", "Physician"), ("Ned Ash", "NP")),
                    ("2026-06-05", "2026-07-05", "2026-09-05", "2026-10-05", "2026-11-05"), "2026-10-10"),
    ReferralAccount(2, "Bay Clinic", "customer", (("Ola Park", None),),
                    ("2026-06-20", "2026-08-20", "2026-09-20", "2026-11-20"), "2026-09-01"),
    ReferralAccount(3, "Cove Practice", "customer", (), (), "2026-11-10"),
)  # fmt: skip


def referral_org() -> dict[str, Any]:
    """The referral org above, both CRMs, owned by dana."""
    return {"salesforce": _referral_salesforce(), "hubspot": _referral_hubspot()}


def _referral_salesforce() -> dict[str, Any]:
    base = _salesforce()
    accounts = [
        {"Id": sf_account_id(a.n), "Name": a.name, "Type": a.kind, "OwnerId": SF_USERS["dana"],
         "ParentId": None, "Visit_Cadence_Days__c": a.cadence_days, **_sf_live()}
        for a in REFERRAL_SF
    ]  # fmt: skip
    contacts = [
        {"Id": f"003{100 * a.n + i:012d}AAA", "AccountId": sf_account_id(a.n), "Name": name, "Title": title,
         **_sf_live()}
        for a in REFERRAL_SF
        for i, (name, title) in enumerate(a.referrers)
    ]  # fmt: skip
    opportunities = [
        {"Id": f"006{100 * a.n + i:012d}AAA", "AccountId": sf_account_id(a.n), "Name": f"Referral {a.n}.{i}",
         "StageName": "Prospecting", **_sf_live(f"{day}T10:00:00.000+0000")}
        for a in REFERRAL_SF
        for i, day in enumerate(a.referrals)
    ]  # fmt: skip
    events = [  # the rep met the first referrer at the visit (WhoId)
        {**sf_visit_event(f"00U{100 * a.n:012d}AAA", a.n, a.visit),
         "WhoId": f"003{100 * a.n:012d}AAA" if a.referrers else None}
        for a in REFERRAL_SF
        if a.visit is not None
    ]  # fmt: skip
    return {"User": base["User"], "Account": accounts, "Contact": contacts, "Opportunity": opportunities,
            "Event": events, "Task": []}  # fmt: skip


def _referral_hubspot() -> dict[str, Any]:
    base = _hubspot()
    companies = [
        _hs_envelope(hs_company_id(a.n), {
            "name": a.name, "lifecyclestage": a.kind, "hubspot_owner_id": HS_OWNERS["dana"],
            "visit_cadence_days": None, "createdate": HS_CREATED, "hs_lastmodifieddate": HS_CREATED,
        })
        for a in REFERRAL_HS
    ]  # fmt: skip
    contacts = [
        _hs_envelope(str(40000 + 10 * a.n + i), {
            "firstname": name.split()[0], "lastname": name.split()[1], "jobtitle": title,
            "createdate": HS_CREATED, "lastmodifieddate": HS_CREATED,
        }, associations={"companies": [hs_company_id(a.n)]})
        for a in REFERRAL_HS
        for i, (name, title) in enumerate(a.referrers)
    ]  # fmt: skip
    deals = [
        _hs_envelope(str(50000 + 10 * a.n + i), {
            "dealname": f"Referral {a.n}.{i}", "dealstage": "appointmentscheduled",
            "createdate": f"{day}T10:00:00.000Z", "hs_lastmodifieddate": HS_CREATED,
        }, associations={"companies": [hs_company_id(a.n)]})
        for a in REFERRAL_HS
        for i, day in enumerate(a.referrals)
    ]  # fmt: skip
    meetings = [
        _hs_envelope(str(20000 + 10 * a.n), hs_meeting_properties(a.visit) | {
            "hs_createdate": HS_CREATED, "hs_lastmodifieddate": HS_CREATED,
        }, associations={"companies": [hs_company_id(a.n)],  # met the first referrer there
                         "contacts": [str(40000 + 10 * a.n)] if a.referrers else []})
        for a in REFERRAL_HS
        if a.visit is not None
    ]  # fmt: skip
    return {**base, "companies": companies, "contacts": contacts, "deals": deals, "meetings": meetings,
            "tasks": [], "custom_properties": {"companies": ["visit_cadence_days"]}}  # fmt: skip
