"""The cadence report: written by the nightly job (Dagster asset) and by `cadence report`, rendered in
headless Chromium, and its numbers compared with the marts'."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest

from ingest.sandbox import OrgStore, serve_sandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.cli import main
from orchestration.report import write_report
from orchestration.runtime import RunOptions, RunSummary, run_nightly_audit
from tests.report import dom
from tests.report.chromium import rendered_dom, screenshot

AS_OF = date(2026, 11, 27)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHARTS = ("chart-status", "chart-rhythm", "chart-weekly-visits", "chart-waterfall", "chart-allocation",
          "chart-kpi-history")


@dataclass(frozen=True)
class Built:
    summary: RunSummary
    warehouse: Path
    html: str  # the report as written
    dom: str  # the report as Chromium rendered it


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One nightly run on a small two-CRM org (the report asset included), then the report in Chromium."""
    root = tmp_path_factory.mktemp("report")
    org = root / "org.json"
    org.write_bytes(orjson.dumps(generate_org(accounts=60, seed=5, anchor_date=AS_OF)))
    warehouse = root / "warehouse.duckdb"
    with serve_sandbox(OrgStore.load(org), ca_dir=root / "ca") as running:
        configs = {"salesforce": salesforce_config(running), "hubspot": hubspot_config(running)}
        options = RunOptions(warehouse=warehouse, as_of=AS_OF, retry_base_seconds=0.01)
        summary = run_nightly_audit(configs, options)
    assert summary.succeeded, summary.render()
    assert summary.report is not None, "the run did not materialise cadence_report"
    yield Built(summary, warehouse, summary.report.read_text(), rendered_dom(summary.report))


def marts(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_nightly_run_writes_the_report_beside_the_warehouse(built: Built) -> None:
    report = built.summary.report
    assert report is not None
    assert report.parent == built.warehouse.parent / "reports"
    assert report.name.startswith("cadence-report-2026-11-27-") and report.suffix == ".html"
    assert f"report: {report}" in built.summary.render().splitlines()
    # Everything inline: no script or stylesheet is fetched from anywhere.
    assert "<script src" not in built.html and "cdn.jsdelivr" not in built.html
    assert "<link" not in built.html


def test_every_chart_renders_as_svg_in_chromium(built: Built) -> None:
    found = dom.charts(built.dom)
    for chart in CHARTS:
        assert found.charts[chart].get("data-rendered") == "true", f"{chart} did not render"
        assert found.svgs[chart] >= 1, chart
    owned_sql = "select count(*) from marts.referral_potential where owner_id is not null"
    (owned,) = marts(built.warehouse, owned_sql)[0]
    # One dot per owned account in the scatter; one cell per (rep, cohort month, stage) in the waterfall.
    assert found.marks["chart-allocation"]["mark-symbol"] == owned
    (cells,) = marts(built.warehouse, "select 5 * count(*) from marts.prospect_waterfall")[0]
    assert found.marks["chart-waterfall"]["mark-rect"] == cells


def test_screenshot_is_saved_as_a_test_artifact(built: Built) -> None:
    assert built.summary.report is not None
    png = screenshot(built.summary.report, ARTIFACTS / "report.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000  # a blank page is a few kB


def test_overdue_table_lists_the_marts_overdue_accounts_most_overdue_first(built: Built) -> None:
    rows = dom.tables(built.dom)["overdue-table"]
    expected = marts(
        built.warehouse,
        "select owner_name, account_name, days_overdue from marts.account_cadence "
        "where is_overdue and owner_id is not null",
    )
    unowned = marts(
        built.warehouse, "select count(*) from marts.account_cadence where is_overdue and owner_id is null"
    )
    owned = [row for row in rows if row["rep"] != "(no owner)"]
    assert len(rows) == len(expected) + unowned[0][0]  # 60 accounts per CRM: no rep reaches the cap of 50
    shown = Counter((r["rep"].split(" · ")[0], r["account_name"], int(r["days_overdue"])) for r in owned)
    assert shown == Counter(expected)
    for rep in {row["rep"] for row in rows}:
        days = [int(row["days_overdue"]) for row in rows if row["rep"] == rep]
        assert days == sorted(days, reverse=True), rep


def test_tasks_table_lists_what_this_run_wrote(built: Built) -> None:
    rows = dom.tables(built.dom)["tasks-table"]
    created = sum(wb.get("created", 0) for wb in built.summary.writeback.values())
    assert created > 0
    assert Counter(row["outcome"] for row in rows) == {"created": created}
    per_crm = Counter(row["crm"] for row in rows)
    assert per_crm == {crm: wb["created"] for crm, wb in built.summary.writeback.items()}


def test_rhythm_table_equals_rep_rhythm(built: Built) -> None:
    rows = dom.tables(built.dom)["rhythm-table"]
    expected = marts(
        built.warehouse,
        "select owner_name, on_cadence_pct, new_prospects_this_month, visits_last_30d, "
        "round(visits_last_30d * 7 / 30, 1) from marts.rep_rhythm",
    )
    shown = [
        (
            r["rep"].split(" · ")[0],
            float(r["on_cadence_pct"].rstrip("%")),
            int(r["new_prospects_this_month"]),
            int(r["visits_last_30d"]),
            float(r["visits_per_week"]),
        )
        for r in rows
    ]
    assert Counter(shown) == Counter((n, round(p, 1), int(m), v, w) for n, p, m, v, w in expected)
    # The same five reps in both CRMs: each label names its CRM so two owners are never merged.
    assert all(r["rep"].endswith((" · salesforce", " · hubspot")) for r in rows)


def test_chart_data_equals_the_marts(built: Built) -> None:
    specs = dom.specs(built.html)
    status = Counter()
    for row in dom.spec_rows(specs["chart-status"]):
        status[row["cadence_status"]] += row["accounts"]
    by_status = "select cadence_status, count(*) from marts.account_cadence group by 1"
    assert status == dict(marts(built.warehouse, by_status))
    waterfall = Counter()
    for row in dom.spec_rows(specs["chart-waterfall"]):
        waterfall[row["stage"]] += row["prospects"]
    sums = marts(
        built.warehouse,
        "select sum(prospects_started), sum(reached_visit_2), sum(reached_visit_3), sum(reached_visit_4), "
        "sum(reached_visit_5) from marts.prospect_waterfall",
    )[0]
    assert waterfall == {stage: total for stage, total in enumerate(sums, start=1) if total}


def test_under_visited_table_is_each_reps_top_allocation_gaps(built: Built) -> None:
    rows = dom.tables(built.dom)["under-visited-table"]
    expected = marts(
        built.warehouse,
        """
        select a.account_name, round(100 * r.allocation_gap, 1)
        from marts.referral_potential r join marts.account_cadence a using (account_key)
        where r.allocation_gap > 0 and r.owner_id is not null
        qualify row_number() over (partition by r.owner_id order by r.allocation_gap desc, r.potential_rank,
                                   r.account_key) <= 5
        """,
    )
    shown = Counter((r["account_name"], float(r["allocation_gap"].rstrip("%"))) for r in rows)
    assert shown == Counter(expected)


def test_long_lists_are_capped_per_rep(built: Built, tmp_path: Path) -> None:
    page = write_report(built.warehouse, tmp_path / "capped.html", cap=2)
    rows = dom.tables(page.read_text())["overdue-table"]
    per_rep = Counter(row["rep"] for row in rows)
    assert per_rep and max(per_rep.values()) == 2
    # The capped reps' most overdue accounts are the ones kept.
    full = dom.tables(built.html)["overdue-table"]
    for rep in per_rep:
        assert [r for r in rows if r["rep"] == rep] == [r for r in full if r["rep"] == rep][:2]
        assert f"{rep}: 2 of {sum(r['rep'] == rep for r in full)}" in page.read_text()
    tasks = Counter(row["rep"] for row in dom.tables(page.read_text())["tasks-table"])
    assert max(tasks.values()) == 2
    # The headline still counts every task the run wrote.
    created = sum(wb.get("created", 0) for wb in built.summary.writeback.values())
    assert f"<b>{created}</b>tasks written this run" in page.read_text()


def test_cadence_report_command(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "morning.html"
    assert main(["report", "--warehouse", str(built.warehouse), "-o", str(output)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {output}"
    # Without a run id it lists the latest run's tasks: the nightly run's.
    assert dom.tables(output.read_text())["tasks-table"] == dom.tables(built.html)["tasks-table"]
    assert main(["report", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.duckdb not found; run `cadence demo`" in err


def test_the_report_reads_the_same_on_postgres(
    built: Built, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The night's marts and ledger copied row for row into PostgreSQL (issue 16): every table the
    report shows is the same frame, and `cadence report --warehouse postgresql://...` writes the page."""
    import dataclasses

    import pandas as pd

    from orchestration.report.data import read_report_data
    from tests.warehouse.copy import copy_schemas

    copy_schemas(built.warehouse, postgres_url, ["marts", "cadence_ops"])
    on_duckdb, on_postgres = read_report_data(built.warehouse), read_report_data(postgres_url)
    assert on_duckdb.run_id is not None
    assert (on_postgres.as_of, on_postgres.run_id) == (AS_OF, on_duckdb.run_id)
    for part in dataclasses.fields(on_duckdb):
        duck, pg = getattr(on_duckdb, part.name), getattr(on_postgres, part.name)
        if isinstance(duck, pd.DataFrame):
            # No registry is loaded in this org: its new providers are compared on PostgreSQL in
            # tests/registries/test_marketing_export.py.
            assert not duck.empty or part.name in ("kpi_history", "new_providers"), part.name
            pd.testing.assert_frame_equal(duck, pg, obj=part.name)
        else:
            assert duck == pg, part.name
    output = tmp_path / "from-postgres.html"
    assert main(["report", "--warehouse", postgres_url, "-o", str(output)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {output}"
    assert dom.tables(output.read_text())["tasks-table"] == dom.tables(built.html)["tasks-table"]
