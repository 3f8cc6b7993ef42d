"""The run's defaults have one home (orchestration/defaults.py): every layer reads it, none restates it."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from expectations.suites import SuiteParams
from ingest.cursor import DEFAULT_LOOKBACK_SECONDS
from ingest.key_scan import DEFAULT_KEY_SCAN_DAYS
from orchestration import defaults
from orchestration.cli import build_parser
from orchestration.resources import AuditSettings, WarehouseResource
from orchestration.runtime import RunOptions
from orchestration.settings import RunSettings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orchestration", "expectations")  # ingest: its 500s are HTTP statuses


def test_every_layer_defaults_to_the_one_home() -> None:
    limit, warehouse = defaults.MAX_TASKS_PER_RUN, defaults.WAREHOUSE
    assert RunSettings().max_tasks_per_run == limit and RunSettings().warehouse == warehouse
    assert AuditSettings().max_tasks_per_run == limit and WarehouseResource().path == warehouse
    assert RunOptions(warehouse=Path(warehouse), as_of=date(2026, 11, 27)).max_tasks_per_run == limit
    assert SuiteParams(as_of=date(2026, 11, 27), now=None).max_tasks_per_run == limit  # type: ignore[arg-type]
    assert build_parser().parse_args(["report"]).warehouse == Path(warehouse)
    run_options = RunOptions(warehouse=Path(warehouse), as_of=date(2026, 11, 27))
    for name, value in (
        ("lookback_seconds", defaults.LOOKBACK_SECONDS),
        ("api_budget_reserve", defaults.API_BUDGET_RESERVE),
        ("key_scan_days", defaults.KEY_SCAN_DAYS),
    ):
        assert (
            getattr(RunSettings(), name)
            == getattr(AuditSettings(), name)
            == getattr(run_options, name)
            == value
        )
    assert (
        defaults.LOOKBACK_SECONDS == DEFAULT_LOOKBACK_SECONDS
    )  # the sources' own default, for direct callers
    assert defaults.KEY_SCAN_DAYS == DEFAULT_KEY_SCAN_DAYS


def _literals(value: object) -> list[str]:
    """`path:line` of every literal equal to `value` in the project's code, outside defaults.py."""
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "orchestration" / "defaults.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and type(node.value) is type(value) and node.value == value:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_layer_restates_a_default() -> None:
    assert _literals(defaults.MAX_TASKS_PER_RUN) == []
    assert _literals(defaults.WAREHOUSE) == []
