"""The core's `drop_after_apply` fault, armed over the control surface: the write commits, its answer is
lost (the client sees the server disconnect). Shown on Salesforce composite/sobjects; HubSpot's batch
routes take the same fault by endpoint pattern."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce

from ingest.sandbox import RunningSandbox
from tests.conftest import StartSandbox
from tests.sandbox.test_salesforce_sandbox import MERCY, login, org


def arm(running: RunningSandbox, **spec: object) -> None:
    running.control("POST", "/__sandbox/faults", spec)


def test_drop_after_apply_commits_the_batch_then_loses_the_answer(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(org())
    sf: Salesforce = login(running)
    arm(running, kind="drop_after_apply", endpoint="salesforce.composite_sobjects")
    records = [
        {"attributes": {"type": "Task"}, "WhatId": MERCY, "Subject": f"lost answer {n}"} for n in range(3)
    ]
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    found = sf.query("SELECT Subject FROM Task WHERE Subject LIKE 'lost answer%'")
    assert found["totalSize"] == 3  # applied although the caller never heard so
    # The fault fired once: the retry is answered (and, being a blind create, duplicates the tasks).
    retried = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    assert [r["success"] for r in retried] == [True] * 3
    assert sf.query("SELECT Id FROM Task WHERE Subject LIKE 'lost answer%'")["totalSize"] == 6


def test_drop_after_apply_on_a_read_answers_nothing(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(org())
    sf = login(running)
    arm(running, kind="drop_after_apply", endpoint="salesforce.query", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.query("SELECT Id FROM Account")
    assert sf.query("SELECT Id FROM Account")["totalSize"] > 0
