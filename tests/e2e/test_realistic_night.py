"""A normal night on the realistic profile: a generated org of 2,000 accounts in both CRMs, rate limits on,
the first night on an empty warehouse and the next night after it, paced by the HTTP layer: zero 429s.

The sandbox counts every 429 it answers (`GET /__sandbox/hubspot/rate_limits`); the Salesforce sandbox
has no per-second limit to answer 429 for (ingest/http.py), so its share is a clean run within the daily
allowance it reports.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.sandbox import RunningSandbox
from ingest.sandbox.generator import generate_org
from tests.conftest import StartSandbox
from tests.orchestration.harness import run_audit

ANCHOR = date(2026, 11, 1)
ACCOUNTS = 2_000


def _realistic_org() -> dict[str, Any]:
    document = generate_org(accounts=ACCOUNTS, seed=11, anchor_date=ANCHOR)
    document["salesforce"]["_profile"] = "realistic"
    document["hubspot"]["_behaviour"] = {"profile": "realistic", "rate_limits": True}
    return document


def _night(running: RunningSandbox, as_of: date) -> None:
    """Start the sandbox clock at 01:00 on `as_of` and let it run, as a night does (a frozen clock would
    stop the rate-limit windows and the search index for good)."""
    start = datetime.combine(as_of, time(1)).isoformat() + "+00:00"
    body = {"now": start, "running": True}
    running.control("POST", "/__sandbox/clock", body)


def _refused(running: RunningSandbox) -> dict[str, int]:
    return running.control("GET", "/__sandbox/hubspot/rate_limits")["refused"]


@pytest.fixture(scope="module")
def org_document() -> dict[str, Any]:
    return _realistic_org()


def test_a_first_and_a_next_night_get_zero_429s(
    start_sandbox: StartSandbox, tmp_path: Path, org_document: dict[str, Any]
) -> None:
    running = start_sandbox(org_document)
    knobs = running.control("GET", "/__sandbox/hubspot/behaviour")
    assert (knobs["profile"], knobs["rate_limits"], knobs["search_per_second"]) == ("realistic", True, 5)
    warehouse = tmp_path / "warehouse.duckdb"
    options = {"override_quality_gate": True, "max_tasks_per_run": 10 * ACCOUNTS}  # the org holds junk
    first_day = ANCHOR + timedelta(days=1)

    for as_of in (first_day, first_day + timedelta(days=1)):
        _night(running, as_of)
        run = run_audit(running, warehouse, as_of, **options)
        assert run.summary.succeeded, run.summary.error
        assert _refused(running) == {}, f"429s on the night of {as_of}"
        # The first night lists (ingest/hubspot/full_sync.py), the next one searches: both were paced.
        reads = sum(
            n for name, n in run.calls.items() if name.startswith(("hubspot.search.", "hubspot.list."))
        )
        assert reads >= 5 and run.calls["salesforce.total"] > 0  # both CRMs were read
