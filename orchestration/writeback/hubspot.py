"""HubSpot tasks through tasks/batch/create and batch/update: up to 100 inputs a call.

A batch create is never resent after a lost answer (`idempotent=False`): the writeback looks the batch's
keys up and creates only the missing. The lookup reads the companies' task associations and the tasks
by id, never search: search trails writes by seconds ("if you wait for an arbitrary amount of time and
then search it does return" the record, https://github.com/HubSpot/hubspot-api-php/issues/59), so a
task created a moment ago would look missing and be created twice; associations and batch read answer
from the object store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from ingest.hubspot.helpers import HubSpotClient
from orchestration.writeback.actions import TaskAction, key_in_text
from orchestration.writeback.run import WriteOutcome
from orchestration.writeback.task_text import HUBSPOT_BODY, HUBSPOT_SUBJECT, task_body, task_subject

BATCH_LIMIT = 100
TASK_TO_COMPANY = 192  # HubSpot-defined association type id
PRIORITIES = {"High": "HIGH", "Normal": "MEDIUM"}  # overdue_visit_tasks.priority -> hs_task_priority
NEW_STATUS, CLOSED_STATUS = (
    "NOT_STARTED",
    "COMPLETED",
)  # hs_task_status written (doctor checks)


class HubSpotTaskWriter:
    crm = "hubspot"
    batch_size = BATCH_LIMIT

    def __init__(self, client: HubSpotClient, task_key_property: str = "cadence_task_key") -> None:
        self.client = client
        properties = client.request("GET", "/crm/v3/properties/tasks")["results"]
        # Without the custom property a portal admin can add, the key rides in the body's last line.
        names = {p["name"] for p in properties}
        self.task_key_property = task_key_property if task_key_property in names else None

    def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        body = {"inputs": [self._new_task(action) for action in batch]}
        response = self.client.request(
            "POST", "/crm/v3/objects/tasks/batch/create", json=body, idempotent=False
        )
        created = {self._key_of(result): result["id"] for result in response.get("results", [])}
        error = _errors_text(response)
        return [
            WriteOutcome(a.task_key, created[a.task_key], True)
            if a.task_key in created
            else WriteOutcome(a.task_key, None, False, error or "not created")
            for a in batch
        ]

    def close(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        inputs = [{"id": a.crm_task_id, "properties": {"hs_task_status": CLOSED_STATUS}} for a in batch]
        response = self.client.request(  # an update by id: safe to resend
            "POST", "/crm/v3/objects/tasks/batch/update", json={"inputs": inputs}, idempotent=True
        )
        closed = {result["id"] for result in response.get("results", [])}
        error = _errors_text(response)
        return [
            WriteOutcome(
                a.task_key, a.crm_task_id, a.crm_task_id in closed, None if a.crm_task_id in closed else error
            )
            for a in batch
        ]

    def find_tasks_by_key(self, task_keys: Sequence[str]) -> dict[str, str]:
        """Read the tasks of the keys' companies (association read, then batch reads: no search lag)."""
        if not task_keys:
            return {}
        companies = sorted({key.split(":")[1] for key in task_keys})
        inputs = [{"id": company} for company in companies]
        links = self.client.request(
            "POST", "/crm/v4/associations/companies/tasks/batch/read", json={"inputs": inputs}
        )["results"]
        task_ids = [str(to["toObjectId"]) for link in links for to in link["to"]]
        wanted = set(task_keys)
        return {key: r["id"] for r in self._read_tasks(task_ids) if (key := self._key_of(r)) in wanted}

    def _read_tasks(self, task_ids: Sequence[str]) -> list[dict[str, Any]]:
        """batch/read takes at most 100 ids; the companies' tasks (people's too) can be many more."""
        properties = ["hs_task_body", *([self.task_key_property] if self.task_key_property else [])]
        results: list[dict[str, Any]] = []
        for start in range(0, len(task_ids), BATCH_LIMIT):
            inputs = [{"id": task_id} for task_id in task_ids[start : start + BATCH_LIMIT]]
            body = {"inputs": inputs, "properties": properties}
            results += self.client.request("POST", "/crm/v3/objects/tasks/batch/read", json=body)["results"]
        return results

    def _new_task(self, action: TaskAction) -> dict[str, Any]:
        due = datetime.combine(action.due_date, time(9), UTC) if action.due_date else datetime.now(UTC)
        properties = {
            "hs_task_subject": task_subject(action, HUBSPOT_SUBJECT),
            "hs_task_body": task_body(action, HUBSPOT_BODY),
            "hs_task_status": NEW_STATUS,
            "hs_task_priority": PRIORITIES.get(action.priority or "", "MEDIUM"),
            "hs_timestamp": due.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "hubspot_owner_id": action.owner_id,
        }
        if self.task_key_property:
            properties[self.task_key_property] = action.task_key
        association = {
            "to": {"id": action.crm_account_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_COMPANY}],
        }
        return {"properties": properties, "associations": [association]}

    def _key_of(self, result: dict[str, Any]) -> str | None:
        properties = result.get("properties") or {}
        if self.task_key_property and properties.get(self.task_key_property):
            return properties[self.task_key_property]
        return key_in_text(properties.get("hs_task_body"))


def _errors_text(response: dict[str, Any]) -> str | None:
    errors = response.get("errors") or []
    return "; ".join(f"{e.get('category')}: {e.get('message')}" for e in errors) or None
