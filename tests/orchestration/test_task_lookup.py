"""After an interrupted run the writers look their tasks up by key; without the admin's key field/property
they read the accounts' tasks and parse the last line (real clients, the sandbox, no job run)."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.writeback.actions import TaskAction
from orchestration.writeback.hubspot import HubSpotTaskWriter
from orchestration.writeback.run import TaskWriter
from orchestration.writeback.salesforce import SalesforceTaskWriter
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag
from tests.orchestration.harness import FAST
from tests.orchestration.org import AS_OF, HS_OWNERS, SF_USERS, hand_made_org, hs_company_id, sf_account_id

PEOPLE_TASKS_ON_ONE_ACCOUNT = 150  # more than one HubSpot batch/read (100 ids) can return


def _busy_org() -> dict[str, Any]:
    """The hand-made org (no key field/property), plus many people's tasks on account 2."""
    org = hand_made_org()
    sf_task, hs_task = org["salesforce"]["Task"][0], org["hubspot"]["tasks"][0]
    for i in range(PEOPLE_TASKS_ON_ONE_ACCOUNT):
        org["salesforce"]["Task"].append(
            {**sf_task, "Id": f"00T{40000 + i:012d}AAA", "WhatId": sf_account_id(2),
             "AccountId": sf_account_id(2)}
        )  # fmt: skip
        org["hubspot"]["tasks"].append(
            {**hs_task, "id": str(40000 + i), "associations": {"companies": [hs_company_id(2)]}}
        )
    return org


def _action(crm: str, account_id: str, owner_id: str) -> TaskAction:
    key = f"{crm}:{account_id}:2026-10-01"
    return TaskAction(
        key, "create", crm, account_id, f"{crm}:{account_id}", owner_id, "Overdue visit: Harbor Clinic",
        AS_OF, 57, "High", None, "Harbor Clinic", None, 30, None,
    )  # fmt: skip


def _writers(running: RunningSandbox) -> dict[str, tuple[TaskWriter, TaskAction]]:
    salesforce = SalesforceTaskWriter(connect(salesforce_config(running), RetryPolicy(base_seconds=FAST)))
    hubspot = HubSpotTaskWriter(HubSpotClient(hubspot_config(running), FAST))
    return {
        "salesforce": (salesforce, _action("salesforce", sf_account_id(2), SF_USERS["sam"])),
        "hubspot": (hubspot, _action("hubspot", hs_company_id(2), HS_OWNERS["sam"])),
    }


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_find_tasks_by_key_reads_the_last_line_on_busy_accounts(
    start_sandbox: StartSandbox, crm: str
) -> None:
    running = start_sandbox(_busy_org())
    writer, action = _writers(running)[crm]
    assert (
        getattr(writer, "task_key_field", None) is None and getattr(writer, "task_key_property", None) is None
    )
    (created,) = writer.create([action])
    assert created.ok, created.error
    after_search_lag(running)  # HubSpot finds tasks by search, which trails writes by a few seconds
    never_sent = action.task_key.replace("2026-10-01", "2026-09-01")
    assert writer.find_tasks_by_key([action.task_key, never_sent]) == {action.task_key: created.crm_task_id}
