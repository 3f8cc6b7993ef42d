"""The sandbox answers a write only once it is on disk (issue 18 item 1): a `kill -9` right after an
answer loses nothing, in-process and as a `cadence sandbox serve` child, for both CRMs.

Each write request is saved once (one org-file rewrite per request, however many records it wrote);
a read saves nothing. The org file is written to a temp file, fsynced and renamed (core/store.py).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.config import HubSpotConfig, SalesforceConfig
from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox
from tests.orchestration.org import SF_USERS, hand_made_org, hs_company_id, sf_account_id

CADENCE = Path(sys.executable).with_name("cadence")
FAST = 0.01


def _salesforce_tasks(count: int) -> list[dict[str, Any]]:
    return [
        {"attributes": {"type": "Task"}, "WhatId": sf_account_id(1), "OwnerId": SF_USERS["dana"],
         "Subject": f"durable {n}", "Status": "Not Started"}
        for n in range(count)
    ]  # fmt: skip


def _hubspot_tasks(count: int) -> list[dict[str, Any]]:
    association = {
        "to": {"id": hs_company_id(1)},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}],
    }
    return [
        {"properties": {"hs_task_subject": f"durable {n}", "hs_timestamp": "2026-11-28T09:00:00.000Z"},
         "associations": [association]}
        for n in range(count)
    ]  # fmt: skip


def _create_salesforce(config: SalesforceConfig, count: int) -> list[str]:
    client = connect(config, RetryPolicy(base_seconds=FAST))
    body = {"allOrNone": True, "records": _salesforce_tasks(count)}
    results = client.call(lambda sf: sf.restful("composite/sobjects", method="POST", json=body))
    return [result["id"] for result in results]


def _create_hubspot(config: HubSpotConfig, count: int) -> list[str]:
    client = HubSpotClient(config, FAST)
    try:
        body = {"inputs": _hubspot_tasks(count)}
        answer = client.request("POST", "/crm/v3/objects/tasks/batch/create", json=body, idempotent=False)
    finally:
        client.close()
    return [result["id"] for result in answer["results"]]


def _on_disk(org: Path) -> tuple[set[str], set[str]]:
    """(Salesforce Task ids, HubSpot task ids) in the org file as it is on disk now."""
    document = orjson.loads(org.read_bytes())
    salesforce = {t["Id"] for t in document["salesforce"].get("Task", [])}
    hubspot = {t["id"] for t in document["hubspot"].get("tasks", [])}
    return salesforce, hubspot


@pytest.fixture
def slow_saving(tmp_path: Path) -> Iterator[tuple[RunningSandbox, list[int]]]:
    """A sandbox whose debounced save would wait an hour: only the per-request save can persist a write.
    Yields it and a list that grows by one on every org-file save (a spy around the real save)."""
    org = tmp_path / "org.json"
    org.write_bytes(orjson.dumps(hand_made_org()))
    store = OrgStore.load(org, persist_delay=3600)
    saves: list[int] = []
    real_write = store._write

    def counted() -> None:
        saves.append(1)
        real_write()

    store._write = counted  # type: ignore[method-assign]
    with serve_sandbox(store, ca_dir=tmp_path / "ca") as running:
        yield running, saves


def test_each_write_request_is_on_disk_when_answered_and_saved_once(
    slow_saving: tuple[RunningSandbox, list[int]],
) -> None:
    from ingest.sandbox_settings import hubspot_config, salesforce_config

    running, saves = slow_saving
    org = running.store.path
    sf_ids = _create_salesforce(salesforce_config(running), 200)  # one composite call, 200 records
    assert (len(sf_ids), len(saves)) == (200, 1)
    assert set(sf_ids) <= _on_disk(org)[0]
    hs_ids = _create_hubspot(hubspot_config(running), 100)  # one batch call, 100 records
    assert (len(hs_ids), len(saves)) == (100, 2)
    assert set(hs_ids) <= _on_disk(org)[1]

    client = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
    found = client.call(lambda sf: sf.query_all("SELECT Id FROM Task WHERE Subject LIKE 'durable%'"))
    assert found["totalSize"] == 200
    assert len(saves) == 2  # reads (login, describe-free query) save nothing


@dataclass
class _Served:
    https_url: str
    http_url: str
    ca_path: str
    client_id: str
    client_secret: str
    token: str


def _serve_child(org: Path, ca_dir: Path) -> tuple[subprocess.Popen[str], _Served]:
    """`cadence sandbox serve` on free ports, and where it listens (read from its export lines)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE"))}
    command = [str(CADENCE), "sandbox", "serve", "--org", str(org), "--port", "0", "--http-port", "0",
               "--ca-dir", str(ca_dir)]  # fmt: skip
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    exports: dict[str, str] = {}
    for line in child.stdout:
        found = re.match(r"export (\w+)=(.*)", line.strip())
        if found:
            exports[found[1]] = shlex.split(found[2])[0]
        if "CADENCE_SANDBOX_CONTROL_TOKEN" in exports:
            break
    served = _Served(
        exports["SOURCES__SALESFORCE__LOGIN_URL"], exports["SOURCES__HUBSPOT__BASE_URL"],
        exports["SOURCES__SALESFORCE__CA_BUNDLE"], exports["SOURCES__SALESFORCE__CLIENT_ID"],
        exports["SOURCES__SALESFORCE__CLIENT_SECRET"], exports["SOURCES__HUBSPOT__ACCESS_TOKEN"],
    )  # fmt: skip
    return child, served


def test_kill_9_of_the_sandbox_right_after_its_answers_loses_no_write(tmp_path: Path) -> None:
    org = tmp_path / "org.json"
    org.write_bytes(orjson.dumps(hand_made_org()))
    child, served = _serve_child(org, tmp_path / "ca")
    try:
        salesforce = SalesforceConfig(
            login_url=served.https_url, client_id=served.client_id,
            client_secret=served.client_secret, ca_bundle=served.ca_path,
        )  # fmt: skip
        sf_ids = _create_salesforce(salesforce, 200)
        hs_ids = _create_hubspot(HubSpotConfig(base_url=served.http_url, access_token=served.token), 100)
        child.send_signal(signal.SIGKILL)  # at once: the old deferred save (0.2 s) had not run yet
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    on_disk = _on_disk(org)
    assert set(sf_ids) <= on_disk[0] and len(sf_ids) == 200
    assert set(hs_ids) <= on_disk[1] and len(hs_ids) == 100
