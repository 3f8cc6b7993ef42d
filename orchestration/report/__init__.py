"""The cadence report: one self-contained HTML page per run, built from the marts, opens offline."""

from __future__ import annotations

from pathlib import Path

from ingest.local_state import outputs_folder
from ingest.warehouse import WarehouseArg
from orchestration.report.data import read_report_data
from orchestration.report.page import render_page
from orchestration.rules import Rules

DEFAULT_CAP = 50  # rows per rep in the long tables: keeps a 2,000-account org's page small


def write_report(
    warehouse: WarehouseArg,
    output: Path | None = None,
    run_id: str | None = None,
    cap: int = DEFAULT_CAP,
    rules: Rules | None = None,
) -> Path:
    """Render the report for `warehouse` (tasks of `run_id`, default the latest run) to `output`
    (default: beside the warehouse, named after the as-of date and run), with the run's `rules`."""
    data = read_report_data(warehouse, run_id=run_id, cap=cap, rules=rules)
    if output is None:
        as_of = data.as_of.isoformat() if data.as_of else "undated"
        output = default_report_path(warehouse, as_of, data.run_id or "no-run")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_page(data, cap), encoding="utf-8")
    return output


def default_report_path(warehouse: WarehouseArg, as_of: str, run_id: str) -> Path:
    """reports/cadence-report-<as_of>-<run id prefix>.html in the run's outputs folder (var/ for the
    default warehouse; ingest/local_state.py)."""
    return outputs_folder(warehouse) / "reports" / f"cadence-report-{as_of}-{run_id[:8]}.html"


__all__ = ["DEFAULT_CAP", "default_report_path", "write_report"]
