"""Cadence follows value, end to end (issue 14 items 5-7): the referral org of org.py in the sandbox,
one nightly run with a cadence policy, the marts checked row by row against the hand-computed table
in org.py, and the tasks read back through each CRM's API with the real clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.hubspot.helpers import HubSpotClient
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.writeback.actions import key_in_text
from tests.helpers import serve_org
from tests.orchestration.harness import FAST, run_audit
from tests.orchestration.org import AS_OF, REFERRAL_RULES, hs_company_id, referral_org, sf_account_id

WRITTEN = "Written by the cadence warehouse; it closes this task itself once the visit is logged."


def sf(n: int) -> str:
    return f"salesforce:{sf_account_id(n)}"


def hs(n: int) -> str:
    return f"hubspot:{hs_company_id(n)}"


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningSandbox, Path]]:
    tmp = tmp_path_factory.mktemp("referral")
    rules = tmp / "cadence.yml"
    rules.write_text(REFERRAL_RULES, encoding="utf-8")
    warehouse = tmp / "warehouse.duckdb"
    with serve_org(referral_org(), tmp) as running:
        run = run_audit(running, warehouse, AS_OF, rules_file=str(rules))
        assert run.summary.succeeded, run.summary.error
        yield running, warehouse


def _rows(warehouse: Path, sql: str) -> dict[str, tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {row[0]: tuple(row[1:]) for row in con.execute(sql).fetchall()}


def test_referral_trend_row_by_row(night: tuple[RunningSandbox, Path]) -> None:
    got = _rows(night[1], """select account_key, referrals_last_90d, referrals_prior_90d, referrals_12m, trend
        from marts.referral_trend""")
    assert got == {
        sf(1): (1, 4, 5, "slipping"),
        sf(2): (0, 0, 0, "none"),
        sf(3): (2, 0, 2, "new"),
        sf(4): (0, 2, 2, "lapsed"),
        sf(5): (0, 0, 0, "none"),
        hs(1): (3, 2, 5, "growing"),
        hs(2): (2, 2, 4, "steady"),
        hs(3): (0, 0, 0, "none"),
    }


def test_the_policy_sets_cadence_days_and_says_which_rule(night: tuple[RunningSandbox, Path]) -> None:
    got = _rows(night[1], """select c.account_key, p.potential_rank, c.cadence_days, c.cadence_source
        from marts.account_cadence c join marts.referral_potential p using (account_key)""")
    assert got == {
        sf(1): (1, 30, "policy:top_potential"),
        sf(2): (2, 21, "policy:key_accounts"),  # the first match, though ranks 1-3 are the top half
        sf(3): (3, 45, "policy:next_potential"),
        sf(4): (4, 14, "override"),  # the override wins over every entry
        sf(5): (5, 30, "default"),  # a prospect: no entry matches
        hs(1): (1, 30, "policy:top_potential"),
        hs(2): (2, 45, "policy:next_potential"),
        hs(3): (3, 60, "policy:rest"),
    }


def test_the_queue_carries_priority_and_why(night: tuple[RunningSandbox, Path]) -> None:
    got = _rows(night[1], """select account_key, days_overdue, priority, priority_reason, trend,
        referrer_count from marts.overdue_visit_tasks where action = 'create'""")
    assert got == {
        sf(1): (27, "High", "trend", "slipping", 6),
        sf(3): (42, "Normal", None, "new", 2),
        sf(5): (296, "High", "very_overdue", "none", 0),
        hs(1): (18, "High", "top_potential", "growing", 2),
        hs(2): (42, "Normal", None, "steady", 1),
    }


def test_salesforce_task_read_back_carries_the_trend_and_who_can_refer(
    night: tuple[RunningSandbox, Path],
) -> None:
    client = connect(salesforce_config(night[0]), RetryPolicy(base_seconds=FAST))
    records = client.call(lambda api: api.query_all("SELECT Id, WhatId, Priority, Description FROM Task"))
    tasks = {record["WhatId"]: record for record in records["records"]}
    assert set(tasks) == {sf_account_id(n) for n in (1, 3, 5)}
    slipping = tasks[sf_account_id(1)]
    assert slipping["Priority"] == "High"
    assert slipping["Description"].splitlines() == [
        "Suzy Lane Practice: last visit 2026-10-01, visit cadence 30 days, due 2026-10-31, 27 days overdue.",
        "Referrals: 1 in the last 90 days, 4 in the 90 days before (slipping), 5 in the last 365 days.",
        "Who can refer (6): Ben Ortiz (NP), never met; Cara Diaz (PA), never met; Dev Patel (Case Manager), "
        "never met; Dr. Ann Lee (Physician), last met 2026-10-01; Eli Wong (Discharge Planner), never met; "
        "and 1 more.",
        "High priority: the referral trend is slipping.",
        WRITTEN,
        f"cadence-task-key: salesforce:{sf_account_id(1)}:2026-10-31",
    ]
    assert tasks[sf_account_id(3)]["Priority"] == "Normal"
    never = tasks[sf_account_id(5)]["Description"].splitlines()
    assert never[1:3] == [  # no referrer: no "who can refer" line
        "Referrals: 0 in the last 90 days, 0 in the 90 days before (none), 0 in the last 365 days.",
        "High priority: overdue by a whole cadence or more.",
    ]


def test_hubspot_task_read_back_carries_the_trend_and_priority(night: tuple[RunningSandbox, Path]) -> None:
    client = HubSpotClient(hubspot_config(night[0]), FAST)
    try:
        params = {"properties": "hs_task_body,hs_task_priority", "limit": 100}
        page = client.request("GET", "/crm/v3/objects/tasks", params=params)
    finally:
        client.close()
    tasks = {key_in_text(t["properties"]["hs_task_body"]): t["properties"] for t in page["results"]}
    assert set(tasks) == {f"hubspot:{hs_company_id(1)}:2026-11-09", f"hubspot:{hs_company_id(2)}:2026-10-16"}
    top = tasks[f"hubspot:{hs_company_id(1)}:2026-11-09"]
    assert top["hs_task_priority"] == "HIGH"
    assert top["hs_task_body"].splitlines()[:5] == [
        "Harbor Hospital: last visit 2026-10-10, visit cadence 30 days, due 2026-11-09, 18 days overdue.",
        "Referrals: 3 in the last 90 days, 2 in the 90 days before (growing), 5 in the last 365 days.",
        "Who can refer (2): Mia Cole (Physician), last met 2026-10-10; Ned Ash (NP), never met.",
        "High priority: one of the highest-potential accounts of your book.",
        WRITTEN,
    ]
    assert tasks[f"hubspot:{hs_company_id(2)}:2026-10-16"]["hs_task_priority"] == "MEDIUM"
