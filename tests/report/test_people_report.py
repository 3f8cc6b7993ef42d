"""The report per person, on the hand-made two-CRM org (tests/orchestration/org.py) over two nights,
read back from headless Chromium.

Dana Reyes and Sam Ortiz own the same eight accounts in Salesforce and in HubSpot, with the same
emails: each is one person. Night 1 is 2026-11-26; then Dana logs a visit on Salesforce account 1 on
2026-11-27, and night 2 is 2026-11-27. By hand (in scope: active and prospects; 5 is out of scope):

| night | person | in scope                  | overdue                  | on cadence | visits (30 days) |
|-------|--------|---------------------------|--------------------------|------------|------------------|
| 11-26 | Dana   | 1, 3, 7, 8 in each CRM: 8 | all 8                    | 0.0 %      | 0 |
| 11-26 | Sam    | 2, 4, 6 in each CRM: 6    | 2 and 6 in each CRM: 4   | 33.3 %     | 2 (4 on 11-20, twice) |
| 11-27 | Dana   | 8                         | 7 (Salesforce 1 visited) | 12.5 %     | 1 (the new visit) |
| 11-27 | Sam    | 6                         | 4                        | 33.3 %     | 2 |

No prospect had its first visit in November (2: September; 7: never visited): 0 of the target 5. The
org has no contacts: no referrers, no coverage.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.sandbox.hubspot.account_info import SANDBOX_PORTAL_ID
from ingest.sandbox_settings import hubspot_config
from orchestration.crm_links import record_instances
from orchestration.kpi_history import TABLE as SNAPSHOTS
from orchestration.kpi_history import record_snapshot
from tests.conftest import StartSandbox
from tests.helpers import after_search_lag, serve_org
from tests.orchestration.harness import Run, log_salesforce_visit, run_audit
from tests.orchestration.org import (
    ACCOUNTS,
    AS_OF,
    hand_made_org,
    hs_company_id,
    sf_account_id,
    sf_visit_event,
)
from tests.report import dom
from tests.report.chromium import rendered_dom

NIGHT_1 = AS_OF - timedelta(days=1)
ACCOUNT_NUMBER = {account.name: account.n for account in ACCOUNTS}


@dataclass(frozen=True)
class Nights:
    first: Run
    second: Run
    warehouse: Path
    salesforce_instance: str  # the sandbox's https URL: the instance_url its token answer names
    html: str
    dom: str


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    root = tmp_path_factory.mktemp("people")
    warehouse = root / "warehouse.duckdb"
    with serve_org(hand_made_org(), root) as running:
        first = run_audit(running, warehouse, NIGHT_1)
        assert first.summary.succeeded, first.summary.error
        log_salesforce_visit(running, sf_visit_event(None, 1, AS_OF.isoformat()))
        after_search_lag(running)  # night 1's HubSpot tasks are searchable by night 2
        second = run_audit(running, warehouse, AS_OF)
        assert second.summary.succeeded, second.summary.error
        instance = running.https_url
    report = second.summary.report
    assert report is not None
    yield Nights(first, second, warehouse, instance, report.read_text(), rendered_dom(report))


def test_leaderboard_is_one_row_per_person_across_both_crms(nights: Nights) -> None:
    tables = dom.tables(nights.dom)
    assert tables["leaderboard-table"] == [
        {"person_name": "Sam Ortiz", "email": "sam@example.com", "crms": "hubspot+salesforce",
         "in_scope_accounts": "6", "overdue_accounts": "4", "on_cadence_pct": "33.3%",
         "new_prospects_this_month": "0", "visits_last_30d": "2", "referrers": "0",
         "referrer_coverage_pct": "—"},
        {"person_name": "Dana Reyes", "email": "dana@example.com", "crms": "hubspot+salesforce",
         "in_scope_accounts": "8", "overdue_accounts": "7", "on_cadence_pct": "12.5%",
         "new_prospects_this_month": "0", "visits_last_30d": "1", "referrers": "0",
         "referrer_coverage_pct": "—"},
    ]  # fmt: skip
    assert "new prospects this month (target 5)" in nights.html
    assert "<b>2</b>reps" in nights.html  # people, not owner records
    # The per-owner rhythm table still has one row per CRM owner record: four.
    assert len(tables["rhythm-table"]) == 4


def test_each_night_appends_one_snapshot_row_per_person(nights: Nights, tmp_path: Path) -> None:
    sql = f"select as_of, person_key, on_cadence_pct, visits_last_30d, run_id from {SNAPSHOTS} order by 1, 2"
    with duckdb.connect(str(nights.warehouse), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert [row[:4] for row in rows] == [
        (NIGHT_1, "email:dana@example.com", 0.0, 0),
        (NIGHT_1, "email:sam@example.com", 33.3, 2),
        (AS_OF, "email:dana@example.com", 12.5, 1),
        (AS_OF, "email:sam@example.com", 33.3, 2),
    ]
    assert len({row[4] for row in rows[:2]}) == 1 and len({row[4] for row in rows}) == 2  # a run id per night
    # A rerun of the same as-of replaces that date's rows (on a copy: the module's warehouse stays as is).
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(nights.warehouse, copy)
    assert record_snapshot(copy, "rerun", AS_OF) == 2
    with duckdb.connect(str(copy), read_only=True) as con:
        again = con.execute(sql).fetchall()
    assert [row[:4] for row in again] == [row[:4] for row in rows]
    assert [row[4] for row in again] == [rows[0][4], rows[1][4], "rerun", "rerun"]


def test_history_chart_draws_both_nights_per_person(nights: Nights) -> None:
    spec = dom.specs(nights.html)["chart-kpi-history"]
    points = sorted((row["as_of"][:10], row["person"], row["on_cadence_pct"]) for row in dom.spec_rows(spec))
    assert points == [
        ("2026-11-26", "Dana Reyes", 0.0), ("2026-11-26", "Sam Ortiz", 33.3),
        ("2026-11-27", "Dana Reyes", 12.5), ("2026-11-27", "Sam Ortiz", 33.3),
    ]  # fmt: skip
    found = dom.charts(nights.dom)
    assert found.charts["chart-kpi-history"].get("data-rendered") == "true"
    # Two panels (on cadence, new prospects), each a line per person through a point per night.
    assert found.marks["chart-kpi-history"]["mark-symbol"] == 2 * 2 * 2
    assert found.marks["chart-kpi-history"]["mark-line"] == 2 * 2


def test_accounts_link_to_their_crm_record(nights: Nights) -> None:
    rows = dom.tables(nights.dom)["overdue-table"]
    assert len(rows) == 11  # Dana: 4 in HubSpot, 3 in Salesforce; Sam: 2 in each
    for row in rows:
        crm = row["rep"].split(" · ")[1]  # same names in both CRMs: each label names its CRM
        n = ACCOUNT_NUMBER[row["account_name"]]
        expected = (
            f"{nights.salesforce_instance}/lightning/r/Account/{sf_account_id(n)}/view"
            if crm == "salesforce"
            else f"https://app.hubspot.com/contacts/{SANDBOX_PORTAL_ID}/company/{hs_company_id(n)}"
        )
        assert row["account_name@href"] == expected, row
    # Looked up once (night 1) and kept: night 2 made no account-details call.
    assert nights.first.calls["hubspot.account_info"] == 1
    assert nights.second.calls["hubspot.account_info"] == 0


def test_a_failed_lookup_leaves_accounts_unlinked_and_a_good_one_is_kept(
    start_sandbox: StartSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    running = start_sandbox(hand_made_org())
    warehouse = tmp_path / "warehouse.duckdb"
    rejected = hubspot_config(running, access_token="not-the-token")
    assert record_instances(warehouse, {"hubspot": rejected}) == {}  # the night goes on, unlinked
    assert "hubspot: no record links in the report (lookup failed: " in caplog.text
    assert "not-the-token" not in caplog.text
    template = f"https://app.hubspot.com/contacts/{SANDBOX_PORTAL_ID}/company/{{id}}"
    assert record_instances(warehouse, {"hubspot": hubspot_config(running)}) == {"hubspot": template}
    calls = running.counters["hubspot.account_info"]
    assert record_instances(warehouse, {"hubspot": hubspot_config(running)}) == {"hubspot": template}
    assert running.counters["hubspot.account_info"] == calls  # the same endpoint: not asked again
