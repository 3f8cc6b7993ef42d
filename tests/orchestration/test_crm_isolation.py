"""Each CRM stands alone (issue 18 item 5): a Salesforce sync or raw-gate failure blocks only Salesforce.

The hand-made org (org.py) on the realistic sandbox profiles; HubSpot's data and checks are fine, so it
gets exactly its five hand-computed tasks, while the run fails naming Salesforce and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.runtime import RunOptions, run_nightly_audit
from tests.conftest import StartSandbox
from tests.orchestration.harness import FAST, SF_WRITES, account_of, pipeline_tasks, run_audit
from tests.orchestration.org import AS_OF, EXPECTED_TASKS, hand_made_org, hs_company_id, sf_visit_event

HUBSPOT_TASKS = {hs_company_id(task.n) for task in EXPECTED_TASKS}


def _realistic_org() -> dict[str, Any]:
    org = hand_made_org()
    org["salesforce"]["_profile"] = "realistic"
    org["hubspot"]["_behaviour"] = {"profile": "realistic"}
    return org


def _assert_only_hubspot_written(running: RunningSandbox, writeback: dict[str, dict[str, Any]]) -> None:
    assert pipeline_tasks(running, "salesforce") == []
    assert {account_of("hubspot", task) for task in pipeline_tasks(running, "hubspot")} == HUBSPOT_TASKS
    assert writeback["hubspot"]["created"] == len(HUBSPOT_TASKS)
    assert "salesforce" not in writeback  # its writeback step failed before any write


def test_a_wrong_salesforce_secret_blocks_only_salesforce(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_realistic_org())
    salesforce = salesforce_config(running)
    salesforce.client_secret = "wrong-secret-f00d"
    before = running.counters[SF_WRITES]

    summary = run_nightly_audit(
        {"salesforce": salesforce, "hubspot": hubspot_config(running)},
        RunOptions(warehouse=tmp_path / "warehouse.duckdb", as_of=AS_OF, retry_base_seconds=FAST),
    )

    assert not summary.succeeded
    assert summary.error == (
        "salesforce writeback blocked (sync failed): Salesforce rejected the client credentials "
        "(invalid_client): check SOURCES__SALESFORCE__CLIENT_ID / CLIENT_SECRET"
    )
    assert "wrong-secret-f00d" not in summary.render()
    _assert_only_hubspot_written(running, summary.writeback)
    assert running.counters[SF_WRITES] == before


def test_a_blocked_salesforce_raw_gate_blocks_only_salesforce(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    org = _realistic_org()
    # Visits of an account Salesforce does not have: 3 of 15 visits, above the 5% a broken sync shows.
    orphans = [sf_visit_event(f"00U{990 + i:012d}AAA", 1, "2026-11-01") for i in range(3)]
    for orphan in orphans:
        orphan["AccountId"] = orphan["WhatId"] = "001999999999999AAA"
    org["salesforce"]["Event"].extend(orphans)
    running = start_sandbox(org)

    run = run_audit(running, tmp_path / "warehouse.duckdb", AS_OF)

    assert not run.summary.succeeded
    error = run.summary.error or ""
    assert error.startswith("quality gate blocked the writeback: 1 critical expectation(s) failed on "
                            "raw_salesforce.event (visits)"), error  # fmt: skip
    assert "the visit's account is known" in error
    _assert_only_hubspot_written(running, run.summary.writeback)
    assert run.writes()[SF_WRITES] == 0
