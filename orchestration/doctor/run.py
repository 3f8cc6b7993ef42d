"""Run every check against the configured CRMs and collect the report."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ingest.warehouse import WarehouseArg
from orchestration.doctor.report import Check, Report, Status
from orchestration.doctor.rules import RuleValues

NO_CRM_FIX = (
    "set SOURCES__SALESFORCE__* and/or SOURCES__HUBSPOT__* (README, 'Pointing it at a real org'), "
    "or try `cadence doctor --sandbox`"
)


def _checkers() -> dict[str, Callable[[Any, RuleValues], list[Check]]]:
    from orchestration.doctor.hubspot import hubspot_checks
    from orchestration.doctor.salesforce import salesforce_checks

    return {"salesforce": salesforce_checks, "hubspot": hubspot_checks}


def run_doctor(
    configs: Mapping[str, Any],
    rules: RuleValues,
    project_tasks_as_of: date | None = None,
    rules_file: Path | None = None,
    warehouse: WarehouseArg | None = None,
) -> Report:
    """Check each configured CRM (read-only) and the warehouse's engine; with a date, also project the
    first night's tasks (a dry run under the rules of `rules_file`, None: the default lookup)."""
    started = time.perf_counter()
    report = Report()
    if warehouse is not None:
        from orchestration.doctor.warehouse import warehouse_check

        report.checks.append(warehouse_check(warehouse))
    if not configs:
        report.checks.append(Check("doctor", "CRMs", Status.BLOCKING, "no CRM is configured", NO_CRM_FIX))
    checkers = _checkers()
    for crm, config in configs.items():
        report.checks.extend(checkers[crm](config, rules))
    if project_tasks_as_of is not None and configs:
        report.checks.extend(_projection(configs, report, project_tasks_as_of, rules_file))
    report.seconds = time.perf_counter() - started
    return report


def _projection(
    configs: Mapping[str, Any], report: Report, as_of: date, rules_file: Path | None
) -> list[Check]:
    if not report.ready:
        message = "skipped: fix the blocking problems first (the dry run would fail on them)"
        return [Check("doctor", "projected tasks", Status.INFO, message)]
    from orchestration.doctor.projection import projected_tasks

    return projected_tasks(configs, as_of, rules_file)
