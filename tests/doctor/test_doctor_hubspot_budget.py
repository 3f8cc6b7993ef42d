"""`cadence doctor` on a rate-limited HubSpot portal: the daily budget from X-HubSpot-RateLimit-Daily*,
and the counting searches survive the 5-per-second search limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sandbox import OrgStore, serve_sandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import hubspot_config
from orchestration.doctor.report import Status
from orchestration.doctor.rules import _rule_values
from orchestration.doctor.run import run_doctor

pytest.importorskip(
    "ingest.sandbox.hubspot.behaviour", reason="HubSpot's rate-limit headers come with the hs-fidelity branch"
)


def test_the_daily_budget_is_read_from_the_rate_limit_headers(tmp_path: Path) -> None:
    document = generate_org(accounts=5, seed=7, junk=False, crms=("hubspot",))
    document["hubspot"]["_behaviour"] = {"rate_limits": True, "daily_limit": 1000}
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        report = run_doctor({"hubspot": hubspot_config(running)}, _rule_values())
    assert report.blocking == []  # the searches met SECONDLY 429s and retried after them
    budget = next(c for c in report.checks if c.name == "API budget")
    assert budget.status is Status.OK
    assert budget.message == "2 used, 998 of 1,000 daily API calls left"  # owners?limit=1, properties
