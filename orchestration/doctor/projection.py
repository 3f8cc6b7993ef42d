"""The first night's projected tasks per rep: the nightly audit as a dry run into a scratch warehouse.

Slow (a full sync, dbt and the quality suites), so `cadence doctor` runs it only with --project-tasks.
A dry run writes nothing to the CRM; the scratch warehouse is deleted afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.doctor.report import Check, Status

_PER_REP = """
    select t.crm, coalesce(max(a.owner_name), t.owner_id) as rep, count(*) as tasks
    from marts.overdue_visit_tasks as t
    left join marts.account_cadence as a on a.account_key = t.account_key
    where t.action = 'create'
    group by t.crm, t.owner_id
    order by t.crm, tasks desc, rep
"""
SHOWN_REPS = 10


def projected_tasks(configs: Mapping[str, Any], as_of: date, rules_file: Path | None = None) -> list[Check]:
    from ingest.warehouse import connect
    from orchestration.runtime import RunOptions, run_nightly_audit

    with tempfile.TemporaryDirectory(prefix="cadence-doctor-") as scratch:
        warehouse = Path(scratch) / "doctor.duckdb"
        rules = str(rules_file) if rules_file is not None else None
        options = RunOptions(warehouse=warehouse, as_of=as_of, dry_run=True, rules_file=rules)
        summary = run_nightly_audit(dict(configs), options)
        if not summary.succeeded:
            message = f"the dry run of the nightly audit failed: {summary.error}"
            return [
                Check(
                    "doctor", "projected tasks", Status.BLOCKING, message, "fix the error above, then rerun"
                )
            ]
        with connect(options.warehouse, read_only=True) as con:
            rows = con.execute(_PER_REP).fetchall()
    return [
        _crm_projection(crm, [(rep, n) for c, rep, n in rows if c == crm], options.max_tasks_per_run)
        for crm in configs
    ]


def _crm_projection(crm: str, per_rep: list[tuple[str, int]], cap: int) -> Check:
    total = sum(n for _, n in per_rep)
    shown = ", ".join(f"{rep} {n:,}" for rep, n in per_rep[:SHOWN_REPS])
    more = f", ... ({len(per_rep)} reps)" if len(per_rep) > SHOWN_REPS else ""
    message = f"the first night would create {total:,} task(s): {shown or 'none'}{more}"
    if total > cap:
        fix = f"run the first night with --max-tasks-per-run {total:,}; the writeback stops at {cap:,}"
        return Check(crm, "projected tasks", Status.WARN, message, fix)
    return Check(crm, "projected tasks", Status.INFO, message)
