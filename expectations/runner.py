"""Validate suites against the warehouse and keep the run's GX Data Docs.

Each suite is evaluated in DuckDB, on a read-only connection to the warehouse: the rows never leave
it (expectations/sql_checks.py computes each expectation's metrics in SQL; GX judges them). Each
Dagster run gets its own small GX project under `<warehouse dir>/quality-docs/runs/`, whose Data Docs
site is the run's page; `quality-docs/index.html` links every run's page.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from expectations.sql_checks import store_results, validate_suite
from expectations.suites import CRITICAL, WARNING, SuiteParams, SuiteSpec
from ingest.local_state import outputs_folder
from ingest.warehouse import Warehouse, WarehouseArg, WarehouseLocation, connect

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

# GX phones home and draws progress bars by default; neither belongs in a nightly job.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

DOCS_FOLDER = "quality-docs"
EXAMPLE_ROWS = 5


def docs_root(warehouse: WarehouseArg) -> Path:
    """Where the Data Docs live: quality-docs/ of the run's outputs folder (var/quality-docs for the
    default warehouse; ingest/local_state.py)."""
    return outputs_folder(warehouse) / DOCS_FOLDER


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    table: str
    expectation: str  # e.g. expect_column_values_to_not_be_null(owner_id)
    why: str
    severity: str
    success: bool
    unexpected: int
    rows: int
    examples: list[dict[str, Any]]
    observed: Any = None

    def describe(self) -> str:
        found = f"{self.unexpected} of {self.rows} rows" if self.unexpected else f"observed {self.observed}"
        text = f"{self.expectation} failed on {self.table} ({found}): {self.why}"
        if self.examples:
            text += "; e.g. " + "; ".join(_row_text(row) for row in self.examples)
        return text


def _row_text(row: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={_plain(v)!r}" for k, v in row.items()) + "}"


def _plain(value: Any) -> Any:
    """Example values as people read them (no numpy/pandas reprs, None for missing)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or pd.isna(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value if isinstance(value, (str, bool, int, float)) else str(value)


@dataclass
class SuiteOutcome:
    spec: SuiteSpec
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    skipped: str | None = None

    def failed(self, severity: str) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == severity]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return self.failed(CRITICAL)

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return self.failed(WARNING)


class QualityRun:
    """One Dagster run's validations: a GX project in its own folder, its Data Docs the run's page."""

    def __init__(self, warehouse: WarehouseArg, run_name: str) -> None:
        self.location = WarehouseLocation.parse(warehouse)
        self.root = docs_root(self.location)
        self.run_name = run_name
        self.folder = self.root / "runs" / run_name
        self.run_time = datetime.now(UTC)  # one GX run: every suite's results under one run id
        self._context: AbstractDataContext | None = None
        self._unrendered: list[Any] = []  # GX keys of results (and their suites) stored since the last build

    @property
    def page(self) -> Path:
        return self.folder / "index.html"

    def validate(self, specs: Sequence[SuiteSpec], params: SuiteParams) -> list[SuiteOutcome]:
        """Validate each spec in the warehouse (read-only); missing tables skip the suite."""
        outcomes = []
        with connect(self.location, read_only=True) as con:
            existing = warehouse_tables(con)
            for spec in specs:
                missing = [t for t in spec.needs if t not in existing]
                if missing:
                    why = f"no table {', '.join(missing)} (CRM not configured?)"
                    outcomes.append(SuiteOutcome(spec, skipped=why))
                else:
                    outcomes.append(self._validate_sql(con, spec, spec.query(params, existing), params))
        return outcomes

    def validate_frame(self, spec: SuiteSpec, frame: pd.DataFrame, params: SuiteParams) -> SuiteOutcome:
        """Validate rows computed in Python (small: one per CRM or rule), by the same SQL path."""
        with duckdb.connect() as con:
            con.register("frame", frame)
            return self._validate_sql(con, spec, "select * from frame", params)

    def _validate_sql(
        self, con: Warehouse | duckdb.DuckDBPyConnection, spec: SuiteSpec, query: str, params: SuiteParams
    ) -> SuiteOutcome:
        from great_expectations.core.run_identifier import RunIdentifier

        context = self.context()
        suite = context.suites.add_or_update(spec.suite(params))
        result_format = {
            "result_format": "SUMMARY",
            "unexpected_index_column_names": list(spec.example_columns),
            "partial_unexpected_count": EXAMPLE_ROWS,
        }
        rows, results = validate_suite(con, query, suite.expectations, spec.example_columns, result_format)
        run_id = RunIdentifier(run_name=self.run_name, run_time=self.run_time)
        key = store_results(context, spec.name, results, run_id, spec.table)
        self._unrendered += [key, key.expectation_suite_identifier]
        return SuiteOutcome(spec, [_outcome(spec, r, rows) for r in results])

    def context(self) -> AbstractDataContext:
        if self._context is None:
            self._context = _run_context(self.folder)
        return self._context

    def build_docs(self) -> Path:
        """Render the run's page and refresh the index of runs; returns the run's page.

        GX renders only the results (and suites) this object stored since its last build: the run's
        earlier checks rendered theirs, and a full build would render every page again on each check
        (GX's incremental build, `build_data_docs(resource_identifiers=...)`). With nothing new, GX
        builds the whole site (its index included)."""
        self.context().build_data_docs(resource_identifiers=self._unrendered or None)
        self._unrendered = []
        _write_run_page(self.folder, self.run_name)
        _write_index(self.root)
        return self.page


def warehouse_tables(con: Warehouse | duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    return {row[0] for row in rows}


def _outcome(spec: SuiteSpec, result: Any, rows: int) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    column = config.kwargs.get("column") or ", ".join(
        str(config.kwargs[k]) for k in ("column_A", "column_B") if k in config.kwargs
    )
    return ExpectationOutcome(
        suite=spec.name,
        table=spec.table,
        expectation=f"{config.type}({column})",
        why=(config.meta or {}).get("why", ""),
        severity=(config.meta or {}).get("severity", CRITICAL),
        success=bool(result.success),
        unexpected=int(details.get("unexpected_count") or 0),
        rows=int(details.get("element_count") or rows),
        examples=[
            {k: _plain(v) for k, v in row.items()}
            for row in (details.get("partial_unexpected_index_list") or [])[:3]
        ],
        observed=details.get("observed_value"),
    )


def _run_context(folder: Path) -> AbstractDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    folder.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(folder))
    sites = context.variables.data_docs_sites or {}
    if "run" not in sites:
        site = {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(folder / "site"),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        context.variables.data_docs_sites = {"run": site}
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
        context = gx.get_context(mode="file", project_root_dir=str(folder))
    return context


_STYLE = (
    "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
    ".passed{color:#176f2c}.warning{color:#9a6700}.critical{color:#b42318;font-weight:bold}</style>"
)


def _write_run_page(folder: Path, run_name: str) -> None:
    """The run's page: every suite validated so far in this run, its failures with example rows, and a
    link to GX's own page for it. Plain HTML: GX's index needs JavaScript from a CDN to list anything."""
    validations = folder / "gx" / "uncommitted" / "validations"
    rows = []
    for path in sorted(validations.rglob("*.json")):
        result = json.loads(path.read_text())
        failures = [r for r in result["results"] if not r["success"]]
        severities = {(r["expectation_config"].get("meta") or {}).get("severity", CRITICAL) for r in failures}
        status = CRITICAL if CRITICAL in severities else WARNING if failures else "passed"
        href = (Path("site/validations") / path.relative_to(validations)).with_suffix(".html").as_posix()
        details = "".join(f"<li>{html.escape(_failure_text(r))}</li>" for r in failures)
        rows.append(
            f"<tr><td><a href='{html.escape(href)}'>{html.escape(result['suite_name'])}</a></td>"
            f"<td class='{status}'>{status.upper() if failures else 'passed'}</td>"
            f"<td>{result['statistics']['evaluated_expectations']}</td><td><ul>{details}</ul></td></tr>"
        )
    (folder / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>Quality gate {html.escape(run_name)}</title>{_STYLE}"
        f"<h1>Quality gate, run {html.escape(run_name)}</h1>"
        "<table><tr><th>suite</th><th>status</th><th>expectations</th><th>failed expectations</th></tr>"
        + "\n".join(rows)
        + "</table>"
    )


def _failure_text(result: dict[str, Any]) -> str:
    config, details = result["expectation_config"], result.get("result") or {}
    severity = (config.get("meta") or {}).get("severity", CRITICAL)
    examples = "; ".join(str(row) for row in (details.get("partial_unexpected_index_list") or [])[:3])
    count = details.get("unexpected_count", details.get("observed_value"))
    return (
        f"[{severity}] {config['type']}({config['kwargs'].get('column', '')}): {count} unexpected {examples}"
    )


def _write_index(root: Path) -> None:
    """quality-docs/index.html: every run's page, newest first."""
    pages = sorted((root / "runs").glob("*/index.html"), key=lambda p: p.stat().st_mtime, reverse=True)
    links = ((html.escape(p.relative_to(root).as_posix()), html.escape(p.parent.name)) for p in pages)
    items = "\n".join(f'<li><a href="{href}">{name}</a></li>' for href, name in links)
    (root / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Cadence quality gate runs</title>"
        f"<h1>Cadence quality gate: one page per run</h1><ul>\n{items}\n</ul>\n"
    )


def summarise(outcomes: Iterable[SuiteOutcome]) -> dict[str, int]:
    outcomes = list(outcomes)
    return {
        "suites": sum(1 for o in outcomes if not o.skipped),
        "skipped": sum(1 for o in outcomes if o.skipped),
        "critical_failures": sum(len(o.critical_failures) for o in outcomes),
        "warnings": sum(len(o.warnings) for o in outcomes),
    }
