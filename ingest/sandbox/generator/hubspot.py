"""The HubSpot shaping of an org plan: CRM objects in HubSpot's wire format."""

from __future__ import annotations

from typing import Any

from ingest.sandbox.generator.addresses import account_address, account_npi
from ingest.sandbox.generator.people import People, plan_people
from ingest.sandbox.generator.plan import (
    DAY,
    Account,
    Activity,
    Contact,
    Kind,
    OrgPlan,
    PersonTask,
    Record,
    Referral,
    Status,
)
from ingest.sandbox.generator.salesforce import PERSON_TASK_BODY
from ingest.sandbox.generator.wire import (
    HubSpotIds,
    WireClock,
    ids_by_index,
    in_order,
    label,
    stamps,
    with_phantoms,
)

# ---- HubSpot ------------------------------------------------------------------------------------------
HUBSPOT_STAGES = {
    Status.ACTIVE: (("customer", 0.8), ("evangelist", 0.2)),
    Status.PROSPECT: (("lead", 0.25), ("marketingqualifiedlead", 0.25), ("salesqualifiedlead", 0.3),
                      ("opportunity", 0.2)),
    Status.OUT_OF_SCOPE: (("other", 0.4), ("subscriber", 0.3), (None, 0.3)),
}  # fmt: skip
HUBSPOT_OUTCOMES = {Kind.VISIT: "COMPLETED", Kind.MEETING: "COMPLETED", Kind.TASK_VISIT: "COMPLETED",
                    Kind.PLANNED: "SCHEDULED", Kind.CALL: "CANCELED", Kind.EMAIL: "NO_SHOW"}  # fmt: skip
HUBSPOT_CUSTOM_PROPERTIES = {"companies": ["visit_cadence_days", "npi"], "tasks": ["cadence_task_key"]}


def _hubspot_record(
    record_id: str,
    properties: Record,
    created: str,
    modstamp: str,
    archived: bool,
    company: str | None = None,
) -> Record:
    """The v3 object envelope; `company` becomes the record's company association."""
    properties["hs_lastmodifieddate"] = modstamp
    if "lastmodifieddate" in properties:  # contacts: the stamp a real portal moves on every change
        properties["lastmodifieddate"] = modstamp
    record = {"id": record_id, "properties": properties, "createdAt": created, "updatedAt": modstamp,
              "archived": archived}  # fmt: skip
    if archived:
        record["archivedAt"] = modstamp
    if company is not None:
        record["associations"] = {"companies": [company]}
    return record


def shape_hubspot(
    plan: OrgPlan, custom_fields: bool = True, people: People | None = None
) -> dict[str, Any]:
    ids, clock = HubSpotIds(), WireClock(plan.anchor, "Z")
    owner_ids = ids_by_index(plan.reps, ids.take(len(plan.reps)))
    company_ids = ids_by_index(plan.accounts, ids.take(len(plan.accounts)))
    targets = with_phantoms(company_ids, ids.take(plan.phantom_accounts))
    reps = in_order(plan.reps)
    owner_order = sorted(range(len(plan.reps)), key=lambda index: plan.reps[index].created)
    owners = [
        {"id": owner_ids[i], "email": rep.email, "firstName": rep.first_name, "lastName": rep.last_name,
         "archived": False, "createdAt": created, "updatedAt": modstamp}
        for i, rep, created, modstamp in zip(owner_order, reps, *stamps(clock, reps), strict=True)
    ]  # fmt: skip
    document: dict[str, Any] = {
        "owners": owners,
        "companies": _hubspot_companies(
            in_order(plan.accounts), clock, company_ids, owner_ids, custom_fields
        ),
        "contacts": _hubspot_contacts(in_order(plan.contacts), ids, clock, company_ids),
        "meetings": _hubspot_meetings(plan.activities, ids, clock, targets, owner_ids),
        "tasks": _hubspot_person_tasks(in_order(plan.person_tasks), ids, clock, company_ids, owner_ids),
        "deals": _hubspot_deals(in_order(plan.referrals), ids, clock, company_ids),
    }
    _associate_people(plan, people or plan_people(plan), document)
    if custom_fields:
        document["custom_properties"] = {
            name: list(props) for name, props in HUBSPOT_CUSTOM_PROPERTIES.items()
        }
    return document


def _hubspot_companies(
    accounts: list[Account], clock: WireClock, company_ids: list[str], owner_ids: list[str], custom: bool
) -> list[Record]:
    records = []
    for account, created, modstamp in zip(accounts, *stamps(clock, accounts), strict=True):
        properties = {
            "name": account.name,
            "lifecyclestage": label(HUBSPOT_STAGES[account.status], account.variant),
            "hubspot_owner_id": owner_ids[account.owner] if account.owner is not None else None,
            "createdate": created,
        }
        address = account_address(account)
        properties |= {"address": address.street, "city": address.city, "state": address.state,
                       "zip": address.postal_code}  # fmt: skip
        if custom:  # HubSpot property values are strings
            properties["visit_cadence_days"] = str(account.cadence_days) if account.cadence_days else None
            properties["npi"] = account_npi(account)
        records.append(
            _hubspot_record(company_ids[account.index], properties, created, modstamp, account.deleted)
        )
    return records


def _hubspot_contacts(
    contacts: list[Contact], ids: HubSpotIds, clock: WireClock, company_ids: list[str]
) -> list[Record]:
    return [
        _hubspot_record(contact_id, {"firstname": c.first_name, "lastname": c.last_name, "jobtitle": c.title,
                                     "email": f"referrer.{contact_id}@example.org", "createdate": created,
                                     "lastmodifieddate": None},
                        created, modstamp, c.deleted, company_ids[c.account])
        for c, contact_id, created, modstamp
        in zip(contacts, ids.take(len(contacts)), *stamps(clock, contacts), strict=True)
    ]  # fmt: skip


def _hubspot_meetings(
    activities: list[Activity], ids: HubSpotIds, clock: WireClock, targets: list[str], owner_ids: list[str]
) -> list[Record]:
    """Every activity is a meeting; the outcome says whether it counts (CANCELED / NO_SHOW do not)."""
    starts = clock.timestamps([a.start for a in activities])
    return [
        _hubspot_record(meeting_id, {"hs_meeting_title": a.subject,
                                     "hs_meeting_start_time": None if a.undated else start,
                                     "hs_timestamp": start,
                                     "hs_meeting_outcome": HUBSPOT_OUTCOMES[a.kind],
                                     "hubspot_owner_id": owner_ids[a.owner], "hs_createdate": created},
                        created, modstamp, a.deleted, targets[a.account])
        for a, meeting_id, start, created, modstamp
        in zip(activities, ids.take(len(activities)), starts, *stamps(clock, activities), strict=True)
    ]  # fmt: skip


def _hubspot_person_tasks(
    tasks: list[PersonTask], ids: HubSpotIds, clock: WireClock, company_ids: list[str], owner_ids: list[str]
) -> list[Record]:
    due = clock.timestamps([t.due_day * DAY + 17 * 60 for t in tasks])
    return [
        _hubspot_record(task_id, {"hs_task_subject": t.subject, "hs_task_body": PERSON_TASK_BODY,
                                  "hs_task_status": "COMPLETED" if t.done else "NOT_STARTED",
                                  "hs_task_priority": "MEDIUM", "hs_timestamp": due_at,
                                  "hubspot_owner_id": owner_ids[t.owner], "hs_createdate": created},
                        created, modstamp, False, company_ids[t.account])
        for t, task_id, due_at, created, modstamp
        in zip(tasks, ids.take(len(tasks)), due, *stamps(clock, tasks), strict=True)
    ]  # fmt: skip


def _hubspot_deals(
    referrals: list[Referral], ids: HubSpotIds, clock: WireClock, company_ids: list[str]
) -> list[Record]:
    return [
        _hubspot_record(deal_id, {"dealname": f"Referral – {r.patient_initials}", "dealstage": "closedwon",
                                  "createdate": created},
                        created, modstamp, r.deleted, company_ids[r.account])
        for r, deal_id, created, modstamp
        in zip(referrals, ids.take(len(referrals)), *stamps(clock, referrals), strict=True)
    ]  # fmt: skip


def _associate_people(plan: OrgPlan, people: People, document: dict[str, Any]) -> None:
    """Meetings → the contacts met, deals → the contact who referred (the same people as Salesforce's)."""
    contact_ids = ids_by_index(plan.contacts, [c["id"] for c in document["contacts"]])
    for position, meeting in enumerate(document["meetings"]):  # one meeting per activity, in plan order
        met = people.attendees.get(position)
        if met:
            meeting.setdefault("associations", {})["contacts"] = [contact_ids[c] for c in met]
    deals = dict(zip(ids_by_index(plan.referrals, [d["id"] for d in document["deals"]]),
                     range(len(plan.referrals)), strict=True))  # fmt: skip
    for deal in document["deals"]:
        referrer = people.referrers.get(deals[deal["id"]])
        if referrer is not None:
            deal.setdefault("associations", {})["contacts"] = [contact_ids[referrer]]
