"""Edits a rev-ops admin (or a broken integration) makes in the sandbox CRM between two runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ingest.sandbox import RunningSandbox
from ingest.sandbox.hubspot.models import hubspot_timestamp
from ingest.sandbox.salesforce.models import salesforce_timestamp

Record = dict[str, Any]


def _stamps(running: RunningSandbox) -> tuple[str, str]:
    moment = running.store.now()
    return salesforce_timestamp(moment), hubspot_timestamp(moment)


def _written(running: RunningSandbox) -> None:
    """These edits go straight to the store (an admin's import): mark_dirty persists them and tells
    the sandbox APIs their cached query views are stale."""
    running.store.mark_dirty()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def delete_every_other_account(running: RunningSandbox) -> dict[str, set[str]]:
    """Delete (Salesforce IsDeleted) / archive (HubSpot) half the accounts; returns the ids per CRM."""
    sf_stamp, hs_stamp = _stamps(running)
    store = running.store
    with store.lock:
        sf = sorted(store.salesforce["Account"])[::2]
        hs = sorted(store.hubspot["companies"])[::2]
        for account_id in sf:
            store.salesforce["Account"][account_id].update(IsDeleted=True, SystemModstamp=sf_stamp)
        for company_id in hs:
            store.hubspot["companies"][company_id].update(
                archived=True, archivedAt=hs_stamp, updatedAt=hs_stamp
            )
            store.hubspot["companies"][company_id]["properties"]["hs_lastmodifieddate"] = hs_stamp
    _written(running)
    return {"salesforce": set(sf), "hubspot": set(hs)}


def add_visits(
    running: RunningSandbox, crm: str, account_id: str, day: date, count: int, completed_task: bool = False
) -> None:
    """`count` visit records on `day`: Events / COMPLETED meetings, or (Salesforce) completed visit Tasks."""
    sf_stamp, hs_stamp = _stamps(running)
    store = running.store
    with store.lock:
        for n in range(count):
            start = _at(day, 9 + n)
            if crm == "salesforce":
                sobject = "Task" if completed_task else "Event"
                record_id = store.new_salesforce_id(sobject)
                record: Record = {
                    "Id": record_id, "AccountId": account_id, "WhatId": account_id, "OwnerId": None,
                    "Type": "Visit", "Subject": "Visit", "ActivityDate": day.isoformat(),
                    "CreatedDate": sf_stamp, "SystemModstamp": sf_stamp, "IsDeleted": False,
                }  # fmt: skip
                if completed_task:
                    record.update(Status="Completed", IsClosed=True, Priority="Normal", Description=None)
                else:
                    record["StartDateTime"] = salesforce_timestamp(start)
                store.salesforce[sobject][record_id] = record
            else:
                record_id = store.new_hubspot_id()
                properties = {
                    "hs_meeting_title": "Visit", "hs_meeting_start_time": hubspot_timestamp(start),
                    "hs_timestamp": hubspot_timestamp(start), "hs_meeting_outcome": "COMPLETED",
                    "hs_createdate": hs_stamp, "hs_lastmodifieddate": hs_stamp,
                }  # fmt: skip
                store.hubspot["meetings"][record_id] = {
                    "id": record_id, "properties": properties, "createdAt": hs_stamp, "updatedAt": hs_stamp,
                    "archived": False, "associations": {"companies": [account_id]},
                }  # fmt: skip
    _written(running)


def clear_owner(running: RunningSandbox, crm: str, account_id: str) -> None:
    sf_stamp, hs_stamp = _stamps(running)
    store = running.store
    with store.lock:
        if crm == "salesforce":
            store.salesforce["Account"][account_id].update(OwnerId=None, SystemModstamp=sf_stamp)
        else:
            company = store.hubspot["companies"][account_id]
            company["properties"].update(hubspot_owner_id=None, hs_lastmodifieddate=hs_stamp)
            company["updatedAt"] = hs_stamp
    _written(running)


def add_customer_account(running: RunningSandbox, crm: str, name: str, created: date) -> str:
    """A never-visited active account owned by the org's first rep (overdue once `created` is old)."""
    sf_stamp, hs_stamp = _stamps(running)
    store = running.store
    with store.lock:
        if crm == "salesforce":
            account_id = store.new_salesforce_id("Account")
            store.salesforce["Account"][account_id] = {
                "Id": account_id, "Name": name, "Type": "Customer - Direct",
                "OwnerId": sorted(store.salesforce["User"])[0], "ParentId": None,
                "Visit_Cadence_Days__c": None, "CreatedDate": salesforce_timestamp(_at(created)),
                "SystemModstamp": sf_stamp, "IsDeleted": False,
            }  # fmt: skip
        else:
            account_id = store.new_hubspot_id()
            properties = {
                "name": name, "lifecyclestage": "customer",
                "hubspot_owner_id": sorted(store.hubspot["owners"])[0],
                "createdate": hubspot_timestamp(_at(created)), "hs_lastmodifieddate": hs_stamp,
            }  # fmt: skip
            store.hubspot["companies"][account_id] = {
                "id": account_id, "properties": properties, "createdAt": hubspot_timestamp(_at(created)),
                "updatedAt": hs_stamp, "archived": False,
            }  # fmt: skip
    _written(running)
    return account_id


def far_past(as_of: date) -> date:
    return as_of - timedelta(days=200)
