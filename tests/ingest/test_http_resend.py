"""What the HTTP layer resends after a dropped connection, stated per call: reads, searches and upserts
are resent; a create (`idempotent=False`) is not once it may have reached the CRM (`AnswerLost`), but is
when it never left (a refused connection). Real clients against the sandbox's `drop_after_apply` fault,
armed over the control surface (realistic profile)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from ingest.errors import CrmUnreachableError
from ingest.http import AnswerLost, may_have_arrived
from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, SalesforceClient, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from tests.conftest import StartSandbox
from tests.orchestration.org import hand_made_org, sf_account_id

FAST = 0.01
KEY_FIELD = {"type": "string", "externalId": True, "unique": True}


@pytest.fixture
def running(start_sandbox: StartSandbox) -> RunningSandbox:
    org = hand_made_org()
    org["salesforce"]["_profile"] = "realistic"
    org["salesforce"]["_metadata"] = {"Task": {"fields": {"Cadence_Task_Key__c": KEY_FIELD}}}
    org["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return start_sandbox(org)


def _arm(running: RunningSandbox, endpoint: str) -> None:
    spec = {"kind": "drop_after_apply", "endpoint": endpoint, "times": 1}
    running.control("POST", "/__sandbox/faults", spec)


def _closed_port() -> int:
    with socket.socket() as probe:  # bound then released: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _hubspot_task(subject: str) -> dict[str, Any]:
    return {"properties": {"hs_task_subject": subject, "hs_task_status": "NOT_STARTED"}}


def _hubspot_tasks_titled(running: RunningSandbox, subject: str) -> int:
    with running.store.lock:
        tasks = running.store.hubspot.get("tasks", {}).values()
        return sum(1 for t in tasks if t["properties"].get("hs_task_subject") == subject)


def _salesforce_tasks_titled(running: RunningSandbox, subject: str) -> int:
    with running.store.lock:
        return sum(1 for t in running.store.salesforce["Task"].values() if t.get("Subject") == subject)


def test_may_have_arrived_tells_a_refused_connect_from_a_drop_after_sending() -> None:
    with pytest.raises(requests.ConnectionError) as refused:
        requests.post(f"http://127.0.0.1:{_closed_port()}/x", timeout=5)
    assert not may_have_arrived(refused.value)
    assert not may_have_arrived(requests.exceptions.ConnectTimeout("connect timed out"))
    assert may_have_arrived(requests.exceptions.ReadTimeout("read timed out"))
    assert may_have_arrived(requests.ConnectionError("Connection aborted.", "RemoteDisconnected"))


def test_hubspot_create_is_not_resent_but_a_search_is(running: RunningSandbox) -> None:
    client = HubSpotClient(hubspot_config(running), FAST)
    _arm(running, "hubspot.batch_create.tasks")
    body = {"inputs": [_hubspot_task("Lost answer")]}
    before = running.counters["hubspot.batch_create.tasks"]
    with pytest.raises(AnswerLost) as lost:
        client.request("POST", "/crm/v3/objects/tasks/batch/create", json=body, idempotent=False)
    assert str(lost.value) == (
        "HubSpot POST /crm/v3/objects/tasks/batch/create: connection failed (ConnectionError) after the "
        "request was sent, so it may have been applied; not resent"
    )
    assert running.counters["hubspot.batch_create.tasks"] - before == 1
    assert _hubspot_tasks_titled(running, "Lost answer") == 1  # applied once, never twice

    _arm(running, "hubspot.search.tasks")
    filters = [{"propertyName": "hs_task_subject", "operator": "EQ", "value": "Overdue visit: Mercy General"}]
    found = client.search("tasks", {"filterGroups": [{"filters": filters}], "limit": 10})
    assert [r["id"] for r in found["results"]] == ["30001"]  # the person's task, read on the resend
    client.close()


def test_hubspot_create_that_never_left_is_retried(running: RunningSandbox) -> None:
    config = hubspot_config(running, base_url=f"http://127.0.0.1:{_closed_port()}")
    client = HubSpotClient(config, FAST, max_attempts=3)
    with pytest.raises(CrmUnreachableError, match=r"after 3 attempts \(ConnectionError\)"):
        client.request("POST", "/crm/v3/objects/tasks/batch/create", json={"inputs": []}, idempotent=False)


def _composite(client: SalesforceClient, method: str, path: str, subject: str, **kw: Any) -> Any:
    record = {"attributes": {"type": "Task"}, "WhatId": sf_account_id(1), "Subject": subject,
              "Cadence_Task_Key__c": f"salesforce:{sf_account_id(1)}:{subject}"}  # fmt: skip
    body = {"allOrNone": False, "records": [record]}
    return client.call(lambda sf: sf.restful(path, method=method, json=body), **kw)


def test_salesforce_create_is_not_resent_but_an_upsert_is(running: RunningSandbox) -> None:
    client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
    _arm(running, "salesforce.composite_sobjects")
    before = running.counters["salesforce.composite_sobjects"]
    with pytest.raises(AnswerLost, match=r"^a Salesforce write: connection failed \(ConnectionError\)"):
        _composite(client, "POST", "composite/sobjects", "posted", idempotent=False)
    assert running.counters["salesforce.composite_sobjects"] - before == 1
    assert _salesforce_tasks_titled(running, "posted") == 1

    # The upsert on the External ID is resent by the layer: the resend matches the task it made.
    _arm(running, "salesforce.composite_sobjects")
    path = "composite/sobjects/Task/Cadence_Task_Key__c"
    (result,) = _composite(client, "PATCH", path, "upserted")
    assert result["success"] is True and result["created"] is False and result["errors"] == []
    assert running.counters["salesforce.composite_sobjects"] - before == 3
    assert _salesforce_tasks_titled(running, "upserted") == 1
