"""The core's `drop_after_apply` fault on HubSpot batch writes ("applied but response lost"): the batch
commits, then the connection closes before any byte of the answer. A blind retry of a create duplicates
the records; an upsert by a unique-value property does not."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox

STAMP = "2026-03-01T15:00:00.000Z"
KEY = "hubspot:9001:2026-04-01"


def _portal() -> dict[str, Any]:
    task = {
        "id": "801",
        "properties": {"hs_task_subject": "Call back", "hs_task_status": "NOT_STARTED"},
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
    }
    declared = {"cadence_task_key": {"type": "string", "hasUniqueValue": True}}
    return {"hubspot": {"tasks": [task], "_metadata": {"tasks": {"properties": declared}}}}


class Portal:
    def __init__(self, running: RunningSandbox) -> None:
        self.base = running.http_url
        self.session = requests.Session()  # no retries: the test sees exactly one attempt
        self.session.headers["Authorization"] = f"Bearer {hubspot_config(running).access_token}"
        self.session.headers.update(running.control_headers())  # arm() is a control call

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=30)

    def arm(self, endpoint: str) -> None:
        answer = self.post("/__sandbox/faults", {"kind": "drop_after_apply", "endpoint": endpoint})
        assert answer.status_code == 200, answer.text

    def tasks_with(self, subject: str) -> list[str]:
        """Listed, not searched: a list answers from the object store at once, while search trails
        writes by the realistic index lag."""
        answer = self.session.get(
            self.base + "/crm/v3/objects/tasks",
            params={"limit": 100, "properties": "hs_task_subject"},
            timeout=10,
        )
        return [
            r["id"] for r in answer.json()["results"] if r["properties"].get("hs_task_subject") == subject
        ]


@pytest.fixture
def portal(start_sandbox: StartSandbox) -> Portal:
    return Portal(start_sandbox(_portal()))


def test_batch_create_applied_but_answer_lost_duplicates_on_blind_retry(portal: Portal) -> None:
    portal.arm("hubspot.batch_create.tasks")
    body = {"inputs": [{"properties": {"hs_task_subject": "Lost answer"}}]}
    with pytest.raises(requests.exceptions.ConnectionError):
        portal.post("/crm/v3/objects/tasks/batch/create", body)
    assert len(portal.tasks_with("Lost answer")) == 1  # committed although the caller never heard so
    assert portal.post("/crm/v3/objects/tasks/batch/create", body).status_code == 201  # fired once
    assert len(portal.tasks_with("Lost answer")) == 2


def test_batch_update_applied_but_answer_lost(portal: Portal) -> None:
    portal.arm("hubspot.batch_update.tasks")
    body = {"inputs": [{"id": "801", "properties": {"hs_task_status": "COMPLETED"}}]}
    with pytest.raises(requests.exceptions.ConnectionError):
        portal.post("/crm/v3/objects/tasks/batch/update", body)
    read = portal.post(
        "/crm/v3/objects/tasks/batch/read", {"inputs": [{"id": "801"}], "properties": ["hs_task_status"]}
    )
    assert read.json()["results"][0]["properties"]["hs_task_status"] == "COMPLETED"


def test_batch_upsert_retried_after_a_lost_answer_stays_one_record(portal: Portal) -> None:
    portal.arm("hubspot.batch_upsert.tasks")
    body = {
        "inputs": [{"idProperty": "cadence_task_key", "id": KEY, "properties": {"hs_task_subject": "Visit"}}]
    }
    with pytest.raises(requests.exceptions.ConnectionError):
        portal.post("/crm/v3/objects/tasks/batch/upsert", body)
    retried = portal.post("/crm/v3/objects/tasks/batch/upsert", body)
    assert retried.status_code == 200 and retried.json()["results"][0]["new"] is False
    assert len(portal.tasks_with("Visit")) == 1
