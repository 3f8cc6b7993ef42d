"""The Salesforce shaping of an org plan: sobject records in Salesforce's wire format."""

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
    Record,
    Referral,
    Status,
)
from ingest.sandbox.generator.wire import (
    SalesforceIds,
    WireClock,
    ids_by_index,
    in_order,
    label,
    stamps,
    with_phantoms,
)
from ingest.sandbox.salesforce.metadata import STANDARD_PICKLISTS
from ingest.sandbox.salesforce.models import INTEGRATION_USER_ID, fill_system_fields

# ---- Salesforce ---------------------------------------------------------------------------------------
SALESFORCE_TYPES = {
    Status.ACTIVE: (("Active Referral Source", 0.6), ("Customer - Direct", 0.25),
                    ("Customer - Channel", 0.15)),
    Status.PROSPECT: (("Prospect", 1.0),),
    Status.OUT_OF_SCOPE: (("Other", 0.3), ("Former Customer", 0.3), ("Vendor", 0.1), (None, 0.3)),
}  # fmt: skip
SALESFORCE_EVENT_TYPES = {Kind.VISIT: "Visit", Kind.MEETING: "Meeting", Kind.PLANNED: "Visit",
                          Kind.CALL: "Call", Kind.EMAIL: "Email"}  # fmt: skip
PERSON_TASK_BODY = "Written by a person; no cadence key."


def shape_salesforce(
    plan: OrgPlan, custom_fields: bool = True, people: People | None = None
) -> dict[str, list[Record]]:
    ids, clock = SalesforceIds(), WireClock(plan.anchor, "+0000")
    user_ids = ids_by_index(plan.reps, ids.take("User", len(plan.reps)))
    account_ids = ids_by_index(plan.accounts, ids.take("Account", len(plan.accounts)))
    targets = with_phantoms(account_ids, ids.take("Account", plan.phantom_accounts))
    reps = sorted(range(len(plan.reps)), key=lambda index: plan.reps[index].created)
    users = [
        {"Id": user_ids[i], "Name": f"{plan.reps[i].first_name} {plan.reps[i].last_name}",
         "Email": plan.reps[i].email, "IsActive": True, "SystemModstamp": modstamp}
        for i, modstamp in zip(reps, clock.timestamps([plan.reps[i].modstamp for i in reps]), strict=True)
    ]  # fmt: skip
    events, tasks = _salesforce_activities(plan.activities, ids, clock, targets, user_ids, custom_fields)
    sobjects: dict[str, Any] = {
        "User": users,
        "Account": _salesforce_accounts(in_order(plan.accounts), clock, account_ids, user_ids, custom_fields),
        "Contact": _salesforce_contacts(in_order(plan.contacts), ids, clock, account_ids),
        "Opportunity": _salesforce_opportunities(in_order(plan.referrals), ids, clock, account_ids),
        "Event": events,
        "Task": tasks + _salesforce_person_tasks(plan, ids, clock, account_ids, user_ids, custom_fields),
    }
    # The rest of the audit fields (CreatedById, LastModifiedDate, ...) as the sandbox fills them on load,
    # written out so the file is what a real org would export (events and tasks have them inline).
    for sobject in ("User", "Account"):
        fill_system_fields(sobject, sobjects[sobject], clock.timestamps([0])[0])
    # Last, so the people's ids come after every other record's and change none of them.
    people = people or plan_people(plan)
    sobjects["EventRelation"] = _salesforce_attendees(plan, people, sobjects, ids)
    sobjects["OpportunityContactRole"] = _salesforce_contact_roles(plan, people, sobjects, ids)
    sobjects["_metadata"] = salesforce_metadata(custom_fields)
    return sobjects


def _audit(created: str, modstamp: str, user_id: str) -> Record:
    return {"CreatedDate": created, "CreatedById": user_id, "LastModifiedDate": modstamp,
            "LastModifiedById": user_id, "SystemModstamp": modstamp}  # fmt: skip


def salesforce_metadata(custom_fields: bool) -> dict[str, Any]:
    """The org's describe metadata (`salesforce._metadata`, docs/sandbox.md): the picklist values the
    generator writes beside Salesforce's standard ones, and the custom fields' flags."""
    account_types = [value for choices in SALESFORCE_TYPES.values() for value, _ in choices if value]
    activity_types = [*STANDARD_PICKLISTS["Event"]["Type"], "Visit"]
    metadata: dict[str, Any] = {
        "Account": {
            "fields": {
                "Type": {"picklistValues": _merged(STANDARD_PICKLISTS["Account"]["Type"], account_types)}
            }
        },
        "Event": {"fields": {"Type": {"picklistValues": activity_types}}},
        "Task": {"fields": {"Type": {"picklistValues": activity_types}}},
    }
    if custom_fields:
        metadata["Account"]["fields"]["Visit_Cadence_Days__c"] = {
            "type": "double",
            "label": "Visit Cadence (days)",
        }
        metadata["Account"]["fields"]["NPI__c"] = {"type": "string", "length": 10, "label": "NPI"}
        # The writeback's idempotency key: an External ID, unique, so a retried create cannot duplicate.
        metadata["Task"]["fields"]["Cadence_Task_Key__c"] = {
            "type": "string", "length": 80, "externalId": True, "unique": True, "label": "Cadence Task Key",
        }  # fmt: skip
    return metadata


def _merged(standard: tuple[str, ...], extra: list[str]) -> list[str]:
    return [*standard, *(value for value in dict.fromkeys(extra) if value not in standard)]


def _salesforce_accounts(
    accounts: list[Account], clock: WireClock, account_ids: list[str], user_ids: list[str], custom: bool
) -> list[Record]:
    records = []
    for account, created, modstamp in zip(accounts, *stamps(clock, accounts), strict=True):
        record = {
            "Id": account_ids[account.index],
            "Name": account.name,
            "Type": label(SALESFORCE_TYPES[account.status], account.variant),
            "OwnerId": user_ids[account.owner] if account.owner is not None else None,
            "ParentId": account_ids[account.parent] if account.parent is not None else None,
            "CreatedDate": created,
            "SystemModstamp": modstamp,
            "IsDeleted": account.deleted,
        }
        address = account_address(account)
        record |= {"BillingStreet": address.street, "BillingCity": address.city,
                   "BillingState": address.state, "BillingPostalCode": address.postal_code}  # fmt: skip
        if custom:
            record["Visit_Cadence_Days__c"] = account.cadence_days
            record["NPI__c"] = account_npi(account)
        records.append(record)
    return records


def _salesforce_contacts(
    contacts: list[Contact], ids: SalesforceIds, clock: WireClock, account_ids: list[str]
) -> list[Record]:
    return [
        {"Id": contact_id, "AccountId": account_ids[c.account],
         "Name": f"{'Dr. ' if c.title == 'Physician' else ''}{c.first_name} {c.last_name}", "Title": c.title,
         "FirstName": c.first_name, "LastName": c.last_name, **_audit(created, modstamp, INTEGRATION_USER_ID),
         "IsDeleted": c.deleted}
        for c, contact_id, created, modstamp
        in zip(contacts, ids.take("Contact", len(contacts)), *stamps(clock, contacts), strict=True)
    ]  # fmt: skip


def _salesforce_opportunities(
    referrals: list[Referral], ids: SalesforceIds, clock: WireClock, account_ids: list[str]
) -> list[Record]:
    return [
        {"Id": opportunity_id, "AccountId": account_ids[r.account],
         "Name": f"Referral – {r.patient_initials}", "StageName": "Closed Won", "IsClosed": True,
         "IsWon": True, "CloseDate": created[:10], **_audit(created, modstamp, INTEGRATION_USER_ID),
         "IsDeleted": r.deleted}
        for r, opportunity_id, created, modstamp
        in zip(referrals, ids.take("Opportunity", len(referrals)), *stamps(clock, referrals), strict=True)
    ]  # fmt: skip


def _salesforce_activities(
    activities: list[Activity],
    ids: SalesforceIds,
    clock: WireClock,
    targets: list[str],
    user_ids: list[str],
    custom: bool,
) -> tuple[list[Record], list[Record]]:
    """Visits are Events, except logged visits (Task, Type Visit, Completed); calls and emails are Events."""
    task_count = sum(1 for a in activities if a.kind is Kind.TASK_VISIT)
    event_ids = iter(ids.take("Event", len(activities) - task_count))
    task_ids = iter(ids.take("Task", task_count))
    starts = clock.timestamps([a.start for a in activities])
    dates = clock.dates([a.start // DAY for a in activities])
    key = {"Cadence_Task_Key__c": None} if custom else {}
    events, tasks = [], []
    for a, created, modstamp, start, day in zip(
        activities, *stamps(clock, activities), starts, dates, strict=True
    ):
        what_id, owner = targets[a.account], user_ids[a.owner]
        account_id = None if a.what_only else what_id
        activity_date = None if a.undated else day
        if a.kind is Kind.TASK_VISIT:
            tasks.append({"Id": next(task_ids), "AccountId": account_id, "WhatId": what_id,
                          "OwnerId": user_ids[a.owner], "Subject": a.subject, "Type": "Visit",
                          "Status": "Completed", "Priority": "Normal", "ActivityDate": activity_date,
                          "IsClosed": True, "Description": None, **key, "IsArchived": False,
                          **_audit(created, modstamp, owner), "IsDeleted": a.deleted})  # fmt: skip
        else:
            events.append({"Id": next(event_ids), "AccountId": account_id, "WhatId": what_id,
                           "OwnerId": user_ids[a.owner], "Type": SALESFORCE_EVENT_TYPES[a.kind],
                           "Subject": a.subject, "ActivityDate": activity_date, "StartDateTime": start,
                           "ActivityDateTime": start, "IsArchived": False,
                           **_audit(created, modstamp, owner), "IsDeleted": a.deleted})  # fmt: skip
    return events, tasks


def _salesforce_person_tasks(
    plan: OrgPlan,
    ids: SalesforceIds,
    clock: WireClock,
    account_ids: list[str],
    user_ids: list[str],
    custom: bool,
) -> list[Record]:
    tasks = in_order(plan.person_tasks)
    key = {"Cadence_Task_Key__c": None} if custom else {}
    return [
        {"Id": task_id, "AccountId": account_ids[t.account], "WhatId": account_ids[t.account],
         "OwnerId": user_ids[t.owner], "Subject": t.subject, "Type": None,
         "Status": "Completed" if t.done else "Not Started", "Priority": "Normal", "ActivityDate": due,
         "IsClosed": t.done, "Description": PERSON_TASK_BODY, **key, "IsArchived": False,
         **_audit(created, modstamp, user_ids[t.owner]), "IsDeleted": False}
        for t, task_id, due, created, modstamp in zip(
            tasks, ids.take("Task", len(tasks)), clock.dates([t.due_day for t in tasks]),
            *stamps(clock, tasks), strict=True,
        )
    ]  # fmt: skip


def _salesforce_attendees(
    plan: OrgPlan, people: People, sobjects: dict[str, Any], ids: SalesforceIds
) -> list[Record]:
    """Each event's first attendee becomes its WhoId; the others are invitees (EventRelation
    IsInvitee, stamped as their event). Task visits carry no attendees."""
    contact_ids = ids_by_index(plan.contacts, [c["Id"] for c in sobjects["Contact"]])
    events = iter(sobjects["Event"])
    invitations: list[tuple[Record, str]] = []
    for position, activity in enumerate(plan.activities):
        if activity.kind is Kind.TASK_VISIT:
            continue
        event = next(events)
        met = people.attendees.get(position, ())
        event["WhoId"] = contact_ids[met[0]] if met else None
        invitations += [(event, contact_ids[c]) for c in met[1:]]
    return [
        {"Id": relation_id, "EventId": event["Id"], "RelationId": contact_id, "AccountId": event["AccountId"],
         "Status": "New", "IsInvitee": True, "IsParent": False, "IsWhat": False,
         **_audit(event["CreatedDate"], event["SystemModstamp"], event["OwnerId"]),
         "IsDeleted": event["IsDeleted"]}
        for (event, contact_id), relation_id
        in zip(invitations, ids.take("EventRelation", len(invitations)), strict=True)
    ]  # fmt: skip


def _salesforce_contact_roles(
    plan: OrgPlan, people: People, sobjects: dict[str, Any], ids: SalesforceIds
) -> list[Record]:
    """The referrer of a referral: its primary contact role, stamped as its opportunity."""
    contact_ids = ids_by_index(plan.contacts, [c["Id"] for c in sobjects["Contact"]])
    by_position = dict(zip(ids_by_index(plan.referrals, [o["Id"] for o in sobjects["Opportunity"]]),
                           range(len(plan.referrals)), strict=True))  # fmt: skip
    opportunities = {by_position[o["Id"]]: o for o in sobjects["Opportunity"]}
    roles = [(opportunities[r], contact_ids[c]) for r, c in sorted(people.referrers.items())]
    roles.sort(key=lambda role: role[0]["CreatedDate"])  # created with their opportunity
    return [
        {"Id": role_id, "OpportunityId": opportunity["Id"], "ContactId": contact_id, "Role": None,
         "IsPrimary": True,
         **_audit(opportunity["CreatedDate"], opportunity["SystemModstamp"], INTEGRATION_USER_ID),
         "IsDeleted": opportunity["IsDeleted"]}
        for (opportunity, contact_id), role_id
        in zip(roles, ids.take("OpportunityContactRole", len(roles)), strict=True)
    ]  # fmt: skip
