"""The nightly cadence audit: every asset, one step at a time (DuckDB allows one writer)."""

from __future__ import annotations

import os

import dagster as dg

DEFAULT_CRON = "0 2 * * *"  # 02:00 every night

nightly_cadence_audit = dg.define_asset_job(
    "nightly_cadence_audit",
    selection=dg.AssetSelection.all(),
    description="Sync the CRMs, build the cadence marts, check them, write overdue-visit tasks back.",
    executor_def=dg.in_process_executor,
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_cadence_audit_schedule",
    job=nightly_cadence_audit,
    cron_schedule=os.environ.get("CADENCE_SCHEDULE_CRON", DEFAULT_CRON),
    execution_timezone=os.environ.get("CADENCE_SCHEDULE_TIMEZONE", "UTC"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(jobs=[nightly_cadence_audit], schedules=[nightly_schedule])
