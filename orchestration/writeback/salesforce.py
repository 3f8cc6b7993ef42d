"""Salesforce tasks through composite/sobjects: up to 200 records a call, allOrNone false.

With the key field as an External ID, creates are upserts on it
(`PATCH composite/sobjects/Task/Cadence_Task_Key__c`, "create or update (upsert) up to 200 records based
on an external ID field", answering one UpsertResult {id, success, errors, created} per record in order:
https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-sobjects-collections-upsert.html).
Resending one after a lost answer updates the task it made instead of making a second: the HTTP layer
resends it. Without the field a create is a plain POST, never resent (the writeback looks it up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest.salesforce.helpers import TIMEOUT, SalesforceClient
from orchestration.writeback.actions import TaskAction, key_in_text
from orchestration.writeback.run import WriteOutcome
from orchestration.writeback.task_text import (
    SALESFORCE_DESCRIPTION,
    SALESFORCE_SUBJECT,
    task_body,
    task_subject,
)

COMPOSITE_LIMIT = 200
NEW_STATUS, CLOSED_STATUS = (
    "Not Started",
    "Completed",
)  # Task.Status written (doctor checks)


class SalesforceTaskWriter:
    crm = "salesforce"
    batch_size = COMPOSITE_LIMIT

    def __init__(self, client: SalesforceClient, task_key_field: str = "Cadence_Task_Key__c") -> None:
        self.client = client
        fields = _task_fields(client)
        # Without the field an admin can add, the key rides in the Description's last line.
        self.task_key_field = task_key_field if task_key_field in fields else None
        # Upsert needs the field marked External ID ("Only external ids are supported", doc above).
        self.upserts = bool(self.task_key_field and fields[task_key_field].get("externalId"))

    def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        records = [self._new_task(action) for action in batch]
        if self.upserts:
            results = self._composite("PATCH", records, f"composite/sobjects/Task/{self.task_key_field}")
        else:
            results = self._composite("POST", records, idempotent=False)
        return [_outcome(action, result) for action, result in zip(batch, results, strict=True)]

    def close(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        records = [
            {"attributes": {"type": "Task"}, "Id": a.crm_task_id, "Status": CLOSED_STATUS} for a in batch
        ]
        results = self._composite("PATCH", records)  # an update by id: safe to resend
        return [_outcome(action, result) for action, result in zip(batch, results, strict=True)]

    def find_tasks_by_key(self, task_keys: Sequence[str]) -> dict[str, str]:
        if not task_keys:
            return {}
        if self.task_key_field:
            soql = (
                f"SELECT Id, {self.task_key_field} FROM Task "
                f"WHERE {self.task_key_field} IN ({_soql_list(task_keys)}) AND IsDeleted = false"
            )
            records = self.client.call(lambda sf: sf.query_all(soql))["records"]
            return {r[self.task_key_field]: r["Id"] for r in records}
        accounts = sorted({key.split(":")[1] for key in task_keys})
        soql = (
            f"SELECT Id, Description FROM Task WHERE WhatId IN ({_soql_list(accounts)}) AND IsDeleted = false"
        )
        records = self.client.call(lambda sf: sf.query_all(soql))["records"]
        wanted = set(task_keys)
        found = {key_in_text(r.get("Description")): r["Id"] for r in records}
        return {key: task_id for key, task_id in found.items() if key in wanted}

    def _new_task(self, action: TaskAction) -> dict[str, Any]:
        record: dict[str, Any] = {
            "attributes": {"type": "Task"},
            "WhatId": action.crm_account_id,
            "OwnerId": action.owner_id,
            "Subject": task_subject(action, SALESFORCE_SUBJECT),
            "ActivityDate": action.due_date.isoformat() if action.due_date else None,
            "Priority": action.priority,
            "Status": NEW_STATUS,
            "Description": task_body(action, SALESFORCE_DESCRIPTION),
        }
        if self.task_key_field:
            record[self.task_key_field] = action.task_key
        return record

    def _composite(
        self,
        method: str,
        records: list[dict[str, Any]],
        path: str = "composite/sobjects",
        idempotent: bool = True,
    ) -> list[dict[str, Any]]:
        body = {"allOrNone": False, "records": records}
        return self.client.call(
            lambda sf: sf.restful(path, method=method, json=body, timeout=TIMEOUT), idempotent=idempotent
        )


def _task_fields(client: SalesforceClient) -> dict[str, dict[str, Any]]:
    """Task's fields by name, with their describe flags (one describe call)."""
    description = client.call(lambda sf: sf.restful("sobjects/Task/describe"))
    return {field["name"]: field for field in description.get("fields", [])}


def _outcome(action: TaskAction, result: dict[str, Any]) -> WriteOutcome:
    if result.get("success"):
        # An upsert that matched (created false) found the task a lost answer had made: not a new one.
        found = result.get("created") is False
        return WriteOutcome(action.task_key, result.get("id") or action.crm_task_id, True, found=found)
    errors = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in result.get("errors", []))
    return WriteOutcome(action.task_key, action.crm_task_id, False, errors or "rejected")


def _soql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'" for value in values)
