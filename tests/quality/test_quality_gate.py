"""The quality gate end to end: three nightly runs against one sandbox org and one warehouse.

1. a clean generated org: every suite passes, tasks are written;
2. half the accounts deleted, and junk injected into the rest (duplicate same-day visits, orphan visits,
   null owners, a future-dated completed visit, odd unicode): the run-over-run check blocks the writeback
   (no CRM write, failed run); the junk only raises warnings;
3. the same with --override-quality-gate: the writeback proceeds, the junk gets no task, the baseline moves.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations.runner import QualityRun, docs_root
from expectations.suites import MART_SUITES, SuiteParams
from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox
from ingest.sandbox.generator import generate_org, write_org
from orchestration.defs.quality import OVERRIDE_HINT, gate_message
from tests.orchestration.harness import Run, changed, pipeline_tasks, run_audit, tasks_bytes
from tests.quality import crm_edits
from tests.quality.data_docs import latest_page, suite_results

AS_OF = datetime.now(UTC).date()  # the sandbox stamps writes with the wall clock
CRMS = ("salesforce", "hubspot")
ODD_NAME = "  Zalgo C\u0301l\u0327i\u0308nic \u202e🏥\u200b O\u2019Brien  "


@dataclass
class Scenario:
    running: RunningSandbox
    warehouse: Path
    runs: dict[str, Run] = field(default_factory=dict)
    pages: dict[str, Path] = field(default_factory=dict)  # run -> its Data Docs page
    before: dict[str, Any] = field(default_factory=dict)  # facts captured between runs

    def run(self, name: str, **options: Any) -> Run:
        result = run_audit(self.running, self.warehouse, AS_OF, **options)
        self.runs[name] = result
        self.pages[name] = latest_page(self.warehouse)
        return result

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


def failed(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """'type(column)' -> result dict of the failed expectations of one suite."""
    return {
        f"{r['expectation_config']['type']}({r['expectation_config']['kwargs'].get('column')})": r
        for r in result["results"]
        if not r["success"]
    }


def _pick(scenario: Scenario, crm: str, where: str) -> str:
    """A surviving account (not among the deleted half) of run 1's marts."""
    survivors = "', '".join(scenario.before["deleted"][crm])
    rows = scenario.query(
        f"select crm_account_id from marts.account_cadence where crm = ? and {where} "
        f"and crm_account_id not in ('{survivors}') order by 1 limit 1",
        crm,
    )
    assert rows, f"no {crm} account where {where}"
    return rows[0][0]


def _inject_junk(scenario: Scenario) -> None:
    running, facts = scenario.running, scenario.before
    facts["cadence"] = {
        row[0]: row[1:] for row in scenario.query(
            "select account_key, visit_count, last_visit_date, owner_id from marts.account_cadence"
        )
    }  # fmt: skip
    for crm in CRMS:
        dup = _pick(scenario, crm, "visit_count >= 2 and not is_overdue")
        crm_edits.add_visits(running, crm, dup, facts["cadence"][f"{crm}:{dup}"][1], count=2)
        phantom = "001999999999999AAA" if crm == "salesforce" else "999999999"
        crm_edits.add_visits(running, crm, phantom, AS_OF - timedelta(days=3), count=3)
        tasked = _pick(scenario, crm, "account_key in (select account_key from marts.overdue_visit_tasks)")
        crm_edits.clear_owner(running, crm, tasked)
        future = _pick(scenario, crm, f"not is_overdue and crm_account_id not in ('{dup}')")
        crm_edits.add_visits(
            running, crm, future, AS_OF + timedelta(days=10), 1, completed_task=crm == "salesforce"
        )
        odd = crm_edits.add_customer_account(running, crm, ODD_NAME, crm_edits.far_past(AS_OF))
        facts[crm] = {"dup": dup, "phantom": phantom, "tasked": tasked, "future": future, "odd": odd}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    folder = tmp_path_factory.mktemp("quality")
    org = folder / "org.json"
    write_org(generate_org(accounts=40, seed=3, junk=False, anchor_date=AS_OF), org)
    with serve_sandbox(OrgStore.load(org), ca_dir=folder / "ca") as running:
        scenario = Scenario(running, folder / "var" / "warehouse.duckdb")
        scenario.run("clean")
        scenario.before["clean_tasks"] = {crm: len(pipeline_tasks(running, crm)) for crm in CRMS}
        scenario.before["deleted"] = crm_edits.delete_every_other_account(running)
        _inject_junk(scenario)
        scenario.before["tasks"] = tasks_bytes(running)
        scenario.run("blocked")
        scenario.before["tasks_after_block"] = tasks_bytes(running)
        baselines = "select count(distinct run_id) from cadence_ops.quality_runs"
        scenario.before["baseline_runs_after_block"] = scenario.query(baselines)
        scenario.run("override", override_quality_gate=True)
        yield scenario


# ---- 1. clean -----------------------------------------------------------------------------------
def test_clean_org_passes_every_suite_and_writes_back(scenario: Scenario) -> None:
    run = scenario.runs["clean"]
    assert run.summary.succeeded, run.summary.error
    results = suite_results(scenario.pages["clean"])
    raw = {f"salesforce_{t}" for t in ("accounts", "visits", "user", "contact", "opportunity", "task")}
    raw |= {f"hubspot_{t}" for t in ("accounts", "visits", "owners", "contacts", "deals", "tasks")}
    marts = {
        "marts_account_cadence",
        "marts_task_creates",
        "marts_open_tasks_after_writeback",
        "records_in_quarantine",
        "rules_match_the_data",
        "run_over_run_volume",
    }
    assert set(results) == raw | marts
    assert {name: failed(r) for name, r in results.items() if not r["success"]} == {}
    for crm in CRMS:
        created = run.summary.writeback[crm]["created"]
        assert created > 0 and scenario.before["clean_tasks"][crm] == created


# ---- 2. junk and half the accounts deleted -------------------------------------------------------
def test_junk_is_flagged_as_warnings_and_does_not_block(scenario: Scenario) -> None:
    results = suite_results(scenario.pages["blocked"])
    for crm in CRMS:
        visits = failed(results[f"{crm}_visits"])
        # orphans (3 records) and the future "completed" visit: flagged, below the blocking share
        assert visits["expect_column_values_to_be_in_set(account_known)"]["result"]["unexpected_count"] == 3
        assert (
            visits["expect_column_values_to_be_in_set(completed_after_as_of)"]["result"]["unexpected_count"]
            == 1
        )
        assert {r["expectation_config"]["meta"]["severity"] for r in visits.values()} == {"warning"}
        owners = failed(results[f"{crm}_accounts"])["expect_column_values_to_be_in_set(owner_resolvable)"]
        assert owners["result"]["partial_unexpected_index_list"][0]["id"] == scenario.before[crm]["tasked"]
        assert owners["expectation_config"]["meta"]["severity"] == "warning"
    critical = {
        name
        for name, result in results.items()
        for r in failed(result).values()
        if r["expectation_config"]["meta"]["severity"] == "critical"
    }
    assert critical == {"run_over_run_volume"}  # the deletion blocks; the junk does not


def test_duplicate_same_day_visits_count_once(scenario: Scenario) -> None:
    for crm in CRMS:
        key = f"{crm}:{scenario.before[crm]['dup']}"
        (visit_count,) = scenario.query(
            "select visit_count from marts.account_cadence where account_key = ?", key
        )[0]
        assert visit_count == scenario.before["cadence"][key][0]


def test_orphan_visits_belong_to_no_account_and_get_no_task(scenario: Scenario) -> None:
    for crm in CRMS:
        phantom = scenario.before[crm]["phantom"]
        assert scenario.query("select * from marts.account_cadence where crm_account_id = ?", phantom) == []
        assert all(phantom not in str(task) for task in pipeline_tasks(scenario.running, crm))


def test_null_owner_account_gets_no_second_task(scenario: Scenario) -> None:
    for crm in CRMS:
        account = scenario.before[crm]["tasked"]
        (owner,) = scenario.query(
            "select owner_id from marts.account_cadence where crm_account_id = ?", account
        )[0]
        assert owner is None
        tasks = [t for t in pipeline_tasks(scenario.running, crm) if account in json.dumps(t)]
        assert len(tasks) == 1  # run 1's, written while it had an owner; none for the ownerless row


def test_future_dated_completed_visit_is_not_a_visit_done(scenario: Scenario) -> None:
    for crm in CRMS:
        key = f"{crm}:{scenario.before[crm]['future']}"
        (count, last) = scenario.query(
            "select visit_count, last_visit_date from marts.account_cadence where account_key = ?", key
        )[0]
        assert (count, last) == scenario.before["cadence"][key][:2]
        assert last <= AS_OF


def test_odd_unicode_account_gets_its_task_with_the_name_intact(scenario: Scenario) -> None:
    for crm in CRMS:
        account = scenario.before[crm]["odd"]
        subjects = [
            t.get("Subject") or t.get("properties", {}).get("hs_task_subject")
            for t in pipeline_tasks(scenario.running, crm)
            if account in json.dumps(t)
        ]
        assert subjects == [f"Overdue visit: {ODD_NAME}"]


# ---- 3. half the accounts deleted ----------------------------------------------------------------
def test_deleting_half_the_accounts_blocks_the_writeback(scenario: Scenario) -> None:
    run = scenario.runs["blocked"]
    assert not run.summary.succeeded
    assert sum(run.writes().values()) == 0  # not a single CRM write call
    assert changed(scenario.before["tasks"], scenario.before["tasks_after_block"]) == set()
    error = run.summary.error or ""
    assert error.startswith("quality gate blocked the writeback")
    assert "expect_column_values_to_be_between(account_ratio) failed on marts.account_cadence" in error
    assert "expect_column_values_to_be_between(visit_ratio)" in error
    baseline = dict(
        scenario.query(
            "select crm, in_scope_accounts from cadence_ops.quality_runs where run_id in "
            "(select min_by(run_id, recorded_at) from cadence_ops.quality_runs) order by crm"
        )
    )
    for crm, accounts in baseline.items():
        assert f"crm='{crm}'" in error and f"baseline_accounts={accounts}" in error
    assert "--override-quality-gate" in error and OVERRIDE_HINT in error
    # the blocked run did not move the bar: only run 1 recorded a baseline
    assert scenario.before["baseline_runs_after_block"] == [(1,)]


def test_override_lets_the_writeback_through_and_moves_the_baseline(scenario: Scenario) -> None:
    run = scenario.runs["override"]
    assert run.summary.succeeded, run.summary.error
    results = suite_results(scenario.pages["override"])
    assert not results["run_over_run_volume"]["success"]  # still checked and reported
    for crm in CRMS:
        assert run.summary.writeback[crm]["closed"] > 0  # tasks of deleted accounts closed
    (accounts,) = scenario.query(
        "select sum(in_scope_accounts) from cadence_ops.quality_runs where run_id = "
        "(select max_by(run_id, recorded_at) from cadence_ops.quality_runs)"
    )[0]
    assert accounts == scenario.query("select count(*) from marts.account_cadence")[0][0]


# ---- a create row without an owner ---------------------------------------------------------------
def test_a_task_without_an_owner_blocks_the_gate(scenario: Scenario, tmp_path: Path) -> None:
    """On a copy of the warehouse whose queue has a create row without an owner (a model regression)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(scenario.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        (task_key,) = con.execute(
            "update marts.overdue_visit_tasks set owner_id = null where task_key = "
            "(select min(task_key) from marts.overdue_visit_tasks where action = 'create') returning task_key"
        ).fetchone()
    run = QualityRun(warehouse, "owner-check")
    creates = next(o for o in run.validate(MART_SUITES, SuiteParams(AS_OF, datetime.now(UTC)))
                   if o.spec.name == "marts_task_creates")  # fmt: skip
    (failure,) = creates.critical_failures
    assert failure.expectation == "expect_column_values_to_not_be_null(owner_id)"
    assert failure.unexpected == 1 and failure.examples[0]["task_key"] == task_key
    message = gate_message(creates, overridden=False, page="docs.html")
    assert "on marts.overdue_visit_tasks (action = 'create') (1 of" in message and task_key in message


# ---- Data Docs -----------------------------------------------------------------------------------
def test_data_docs_one_page_per_run_open_in_headless_chromium(scenario: Scenario, tmp_path: Path) -> None:
    root = docs_root(scenario.warehouse)
    index = (root / "index.html").read_text()
    assert all(page.relative_to(root).as_posix() in index for page in scenario.pages.values())
    page = scenario.pages["blocked"]
    html = page.read_text()
    assert "<td class='critical'>CRITICAL</td>" in html and "account_ratio" in html
    assert html.count("<tr>") == 1 + 18  # header + every suite of the run
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    shot = Path(__file__).parent.parent.parent / "var" / "quality-docs-screenshot.png"
    shot.parent.mkdir(exist_ok=True)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1600", f"--screenshot={shot}",
         page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
