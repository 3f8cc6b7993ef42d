"""Salesforce tasks through composite/sobjects: up to 200 records a call, allOrNone false."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest.salesforce.helpers import SalesforceClient
from orchestration.writeback.actions import TASK_KEY_MARKER, TaskAction
from orchestration.writeback.run import WriteOutcome

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
        # Without the external-id field an admin can add, the key rides in the Description's last line.
        self.task_key_field = task_key_field if task_key_field in client.field_names("Task") else None

    def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        records = [self._new_task(action) for action in batch]
        results = self._composite("POST", records)
        return [_outcome(action, result) for action, result in zip(batch, results, strict=True)]

    def close(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        records = [
            {"attributes": {"type": "Task"}, "Id": a.crm_task_id, "Status": CLOSED_STATUS} for a in batch
        ]
        results = self._composite("PATCH", records)
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
        found = {_key_in_description(r.get("Description")): r["Id"] for r in records}
        return {key: task_id for key, task_id in found.items() if key in wanted}

    def _new_task(self, action: TaskAction) -> dict[str, Any]:
        record: dict[str, Any] = {
            "attributes": {"type": "Task"},
            "WhatId": action.crm_account_id,
            "OwnerId": action.owner_id,
            "Subject": action.subject,
            "ActivityDate": action.due_date.isoformat() if action.due_date else None,
            "Priority": action.priority,
            "Status": NEW_STATUS,
            "Description": action.description(),
        }
        if self.task_key_field:
            record[self.task_key_field] = action.task_key
        return record

    def _composite(self, method: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = {"allOrNone": False, "records": records}
        return self.client.call(lambda sf: sf.restful("composite/sobjects", method=method, json=body))


def _outcome(action: TaskAction, result: dict[str, Any]) -> WriteOutcome:
    if result.get("success"):
        return WriteOutcome(action.task_key, result.get("id") or action.crm_task_id, True)
    errors = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in result.get("errors", []))
    return WriteOutcome(action.task_key, action.crm_task_id, False, errors or "rejected")


def _soql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'" for value in values)


def _key_in_description(description: str | None) -> str | None:
    last_line = (description or "").rstrip().rsplit("\n", 1)[-1]
    return last_line.removeprefix(TASK_KEY_MARKER).strip() if last_line.startswith(TASK_KEY_MARKER) else None
