"""One rules file, three consumers: changing a rule changes the marts, the quality suites and the report
alike; a mistyped picklist value blocks with the rules key named, not the override.

Three nightly runs on one generated org served by the sandbox (one dbt build each):
1. the built-in rules;
2. a rules file: active cadence 45 days, NO_SHOW meetings count as visits, a target of 3 new prospects;
3. the same rules file with the first active Account.Type mistyped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox
from ingest.sandbox.generator import generate_org, write_org
from orchestration.rules import Rules
from tests.orchestration.harness import Run, run_audit
from tests.quality.data_docs import latest_page, suite_results
from tests.report import dom

AS_OF = datetime.now(UTC).date()  # the sandbox stamps writes with the wall clock
CHANGED = """\
default_cadence_days_active: 45
hubspot_excluded_meeting_outcomes: [CANCELED]
target_new_prospects_per_month: 3
"""
# Run 2's rules with one mistyped value: only the Salesforce accounts of that Type change.
TYPO = CHANGED + "salesforce_active_types: [Active Referal Source, Customer - Direct, Customer - Channel]\n"


@dataclass
class Night:
    run: Run
    suites: dict[str, dict[str, Any]]  # the run's GX validation results
    facts: dict[str, Any] = field(default_factory=dict)  # read from the warehouse right after the run


@dataclass
class Nights:
    running: RunningSandbox
    warehouse: Path
    rules_files: dict[str, Path]
    nights: dict[str, Night] = field(default_factory=dict)

    def run(self, name: str, rules_file: Path | None) -> Night:
        path = str(rules_file) if rules_file else None
        run = run_audit(self.running, self.warehouse, AS_OF, rules_file=path)
        night = Night(run, suite_results(latest_page(self.warehouse)), _facts(self.warehouse))
        self.nights[name] = night
        return night


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchall()[0][0]


def _facts(warehouse: Path) -> dict[str, Any]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            # cadence of the active accounts that have no per-account override
            "active_cadences": {
                row[0]
                for row in con.execute(
                    "select distinct a.cadence_days from marts.account_cadence a "
                    "join intermediate.int_accounts i using (account_key) "
                    "where a.status = 'active' and coalesce(i.cadence_days_override, 0) <= 0"
                ).fetchall()
            },
            "hubspot_visits": _one(
                con, "select sum(visit_count) from marts.account_cadence where crm = 'hubspot'"
            ),
            "salesforce_visits": _one(
                con, "select sum(visit_count) from marts.account_cadence where crm = 'salesforce'"
            ),
            "targets": {
                row[0]
                for row in con.execute(
                    "select distinct target_new_prospects_per_month from marts.rep_rhythm"
                ).fetchall()
            },
            "live_meetings": dict(
                con.execute(
                    "select coalesce(hs_meeting_outcome, ''), count(*) from raw_hubspot.meetings "
                    "where not coalesce(archived, false) group by 1"
                ).fetchall()
            ),
        }


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    folder = tmp_path_factory.mktemp("rules")
    org = folder / "org.json"
    write_org(generate_org(accounts=40, seed=3, junk=False, anchor_date=AS_OF), org)
    files = {"changed": folder / "changed.yml", "typo": folder / "typo.yml"}
    files["changed"].write_text(CHANGED)
    files["typo"].write_text(TYPO)
    sandbox = serve_sandbox(OrgStore.load(org), ca_dir=folder / "ca")
    with pytest.MonkeyPatch.context() as patch, sandbox as running:
        patch.delenv("CADENCE_RULES", raising=False)  # run 1 must see the built-in rules
        patch.chdir(folder)  # ... and no ./cadence.yml
        nights = Nights(running, folder / "var" / "warehouse.duckdb", files)
        for name, rules_file in (("defaults", None), ("changed", files["changed"]), ("typo", files["typo"])):
            nights.run(name, rules_file)
        yield nights


def _validated_rows(night: Night, suite: str) -> int:
    return night.suites[suite]["results"][0]["result"]["element_count"]


def test_changing_a_rule_changes_the_marts_the_quality_suites_and_the_report(nights: Nights) -> None:
    before, after = nights.nights["defaults"], nights.nights["changed"]
    assert before.run.summary.succeeded, before.run.summary.error
    assert after.run.summary.succeeded, after.run.summary.error
    # marts: the cadence, the visits NO_SHOW meetings add, the target
    assert (before.facts["active_cadences"], after.facts["active_cadences"]) == ({30}, {45})
    assert (before.facts["targets"], after.facts["targets"]) == ({5}, {3})
    meetings = after.facts["live_meetings"]
    assert meetings.get("NO_SHOW", 0) > 0  # the org has some: the rule has something to change
    assert after.facts["hubspot_visits"] > before.facts["hubspot_visits"]
    assert after.facts["salesforce_visits"] == before.facts["salesforce_visits"]
    # quality suites: the HubSpot visits suite validates the meetings the rules call visits
    excluded = {"defaults": Rules().hubspot_excluded_meeting_outcomes, "changed": ["CANCELED"]}
    for name, night in (("defaults", before), ("changed", after)):
        expected = sum(count for outcome, count in meetings.items() if outcome not in excluded[name])
        assert _validated_rows(night, "hubspot_visits") == expected, name
    # the report: the target in the rhythm table's header and the chart's target rule
    for night, target in ((before, 5), (after, 3)):
        report = night.run.summary.report
        assert report is not None
        html = report.read_text()
        assert f"new prospects this month (target {target})" in html
        rows = dom.spec_rows(dom.specs(html)["chart-rhythm"])
        assert {row["target"] for row in rows if "target" in row} == {target}


def test_a_mistyped_picklist_value_names_the_rules_key_not_the_override(nights: Nights) -> None:
    typo, path = nights.nights["typo"], nights.rules_files["typo"]
    summary = typo.run.summary
    assert not summary.succeeded
    assert sum(typo.run.writes().values()) == 0  # blocked before any CRM write
    error = summary.error or ""
    assert (
        f"salesforce_active_types: no Account has Type 'Active Referal Source'; picklist values are API "
        f"names, not labels, check {path}"
    ) in error.splitlines()
    moved = [line for line in error.splitlines() if line.startswith("salesforce: ")]
    assert len(moved) == 1 and moved[0].endswith(
        "in-scope accounts left scope while still in the CRM, so the rules moved them: check "
        f"salesforce_active_types / salesforce_prospect_types in {path}"
    )
    assert "--override-quality-gate" not in error
    # the same value is flagged by the rules suite of the run (a warning: most accounts stay in scope)
    fit = typo.suites["rules_match_the_data"]
    warned = [r for r in fit["results"] if not r["success"]]
    assert [r["expectation_config"]["meta"]["severity"] for r in warned] == ["warning"]
    assert warned[0]["result"]["partial_unexpected_index_list"][0]["value"] == "Active Referal Source"
