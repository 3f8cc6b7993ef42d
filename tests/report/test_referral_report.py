"""The report's referral sections on the referral org of tests/orchestration/org.py (one rep, Dana, in
both CRMs; its table gives each account's referrers, potential rank and trend), one night with its
REFERRAL_RULES, read back from headless Chromium. Each visit met the account's first referrer (a
Salesforce Event's WhoId, a HubSpot meeting's contact): S1 Ann Lee, S2 Gil Ray, S3 Joe Hart, S4 Lu Chan,
H1 Mia Cole, H2 Ola Park, all within the share window.

By hand, as of 2026-11-27 (share window 180 days, top-potential share 0.2):
- referrers of in-scope accounts: S1 6, S2 3, S3 2, S4 1, H1 2, H2 1 = 15; met in the window: 6 of 15
  = 40.0 %. In scope 8 (S1-S5, H1-H3), overdue S1, S3, S5, H1, H2 = 5: 37.5 % on cadence.
- slipping sources: S1 slipping (1 in the last 90 days, 4 before: a fall of 3) then S4 lapsed (0, 2).
- top potential: rank 1 of each book (5 and 3 accounts: rank 2 is at 1/5 and 1/3, not below 0.2): S1
  and H1. Never met there: S1's five but Ann Lee, H1's Ned Ash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingest.sandbox.hubspot.account_info import SANDBOX_PORTAL_ID
from orchestration.kpi_history import TABLE as SNAPSHOTS
from tests.helpers import serve_org
from tests.orchestration.harness import run_audit
from tests.orchestration.org import AS_OF, REFERRAL_RULES, hs_company_id, referral_org, sf_account_id
from tests.report import dom
from tests.report.chromium import rendered_dom


@dataclass(frozen=True)
class Night:
    warehouse: Path
    salesforce_instance: str
    tables: dict[str, list[dict[str, str]]]


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    tmp = tmp_path_factory.mktemp("referral-report")
    rules = tmp / "cadence.yml"
    rules.write_text(REFERRAL_RULES, encoding="utf-8")
    warehouse = tmp / "warehouse.duckdb"
    with serve_org(referral_org(), tmp) as running:
        run = run_audit(running, warehouse, AS_OF, rules_file=str(rules))
        assert run.summary.succeeded, run.summary.error
        instance = running.https_url
    assert run.summary.report is not None
    yield Night(warehouse, instance, dom.tables(rendered_dom(run.summary.report)))


def _href(night: Night, crm: str, n: int) -> str:
    if crm == "salesforce":
        return f"{night.salesforce_instance}/lightning/r/Account/{sf_account_id(n)}/view"
    return f"https://app.hubspot.com/contacts/{SANDBOX_PORTAL_ID}/company/{hs_company_id(n)}"


def test_leaderboard_shows_referrer_coverage(night: Night) -> None:
    (dana,) = night.tables["leaderboard-table"]
    assert (dana["person_name"], dana["crms"], dana["in_scope_accounts"], dana["on_cadence_pct"]) == (
        "Dana Reyes", "hubspot+salesforce", "8", "37.5%"
    )  # fmt: skip
    assert (dana["referrers"], dana["referrer_coverage_pct"]) == ("15", "40.0%")
    with duckdb.connect(str(night.warehouse), read_only=True) as con:
        snapshot = con.execute(f"select referrer_coverage_pct from {SNAPSHOTS}").fetchall()
    assert snapshot == [(40.0,)]


def test_slipping_sources_steepest_fall_first(night: Night) -> None:
    rows = night.tables["slipping-table"]
    got = [(r["account_name"], r["trend"], r["referrals_last_90d"], r["referrals_prior_90d"]) for r in rows]
    assert got == [("Suzy Lane Practice", "slipping", "1", "4"), ("Override Hospice", "lapsed", "0", "2")]
    links = [r["account_name@href"] for r in rows]
    assert links == [_href(night, "salesforce", 1), _href(night, "salesforce", 4)]
    assert {r["rep"] for r in rows} == {"Dana Reyes"}


def test_referrers_never_met_at_the_top_potential_accounts(night: Night) -> None:
    rows = night.tables["unmet-referrers-table"]
    got = [(r["account_name"], r["potential_rank"], r["contact_name"], r["title"]) for r in rows]
    assert sorted(got) == sorted([
        ("Harbor Hospital", "1", "Ned Ash", "NP"),
        ("Suzy Lane Practice", "1", "Ben Ortiz", "NP"), ("Suzy Lane Practice", "1", "Cara Diaz", "PA"),
        ("Suzy Lane Practice", "1", "Dev Patel", "Case Manager"),
        ("Suzy Lane Practice", "1", "Eli Wong", "Discharge Planner"),
        ("Suzy Lane Practice", "1", "Fran Moss", "Office Manager"),
    ])  # fmt: skip
    links = {r["account_name"]: r["account_name@href"] for r in rows}
    assert links == {
        "Harbor Hospital": _href(night, "hubspot", 1),
        "Suzy Lane Practice": _href(night, "salesforce", 1),
    }
