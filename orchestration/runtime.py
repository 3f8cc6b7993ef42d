"""Running the nightly audit in-process (`cadence run` / `cadence demo`) and summarising it."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import nullcontext, redirect_stdout
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from ingest.errors import CadenceError
from ingest.local_state import outputs_folder
from ingest.sync import CrmConfigs
from ingest.warehouse import WarehouseLocation, connect, exists
from orchestration import defaults
from orchestration.definitions import build_definitions
from orchestration.defs.dbt import prepared_manifest
from orchestration.input_checks import check_warehouse_unlocked
from orchestration.resources import (
    AuditSettings,
    HubSpotResource,
    RegistryFiles,
    SalesforceResource,
    WarehouseResource,
)
from orchestration.settings import no_crm_error
from orchestration.writeback.guards import check_backdate

CRMS = ("salesforce", "hubspot")
MARTS_MODEL = "account_cadence"  # the dbt model the overdue counts are read from


@dataclass(frozen=True)
class RunOptions:
    warehouse: Path | WarehouseLocation  # a DuckDB file or a PostgreSQL URL (ingest/warehouse.py)
    as_of: date
    dry_run: bool = False
    max_tasks_per_run: int = defaults.MAX_TASKS_PER_RUN
    override_quality_gate: bool = False
    allow_backdate: bool = False
    allow_queue_jump: bool = False
    retry_base_seconds: float | None = None  # overrides each CRM's setting (tests: no backoff sleeps)
    rules_file: str | None = None  # cadence.yml; None: $CADENCE_RULES, ./cadence.yml, the defaults
    lookback_seconds: float = defaults.LOOKBACK_SECONDS
    api_budget_reserve: float = defaults.API_BUDGET_RESERVE
    key_scan_days: float = defaults.KEY_SCAN_DAYS
    # cadence.registry_*: reloaded when changed (orchestration/defs/registries.py)
    registry_nppes: str | None = None
    registry_order_referring: str | None = None
    prospect_writeback: str = "off"  # cadence.prospect_writeback: off | dry_run | on


@dataclass
class RunSummary:
    succeeded: bool
    as_of: date
    warehouse: Path | WarehouseLocation  # a DuckDB file or a PostgreSQL URL (ingest/warehouse.py)
    audited: tuple[str, ...] = CRMS  # a CRM not audited has a row saying so, even when the run failed early
    error: str | None = None
    rows_synced: dict[str, int] = field(default_factory=dict)
    overdue_accounts: dict[str, int] = field(default_factory=dict)
    writeback: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: Path | None = None
    marketing_export: Path | None = None  # the folder of marketing's list files
    blocked: dict[str, str] = field(default_factory=dict)  # CRMs left out of the run, and why
    prospects: dict[str, dict[str, Any]] = field(default_factory=dict)  # <crm>_prospect_writeback's metadata
    # Wall seconds per Dagster step that ran, and "start-up": from the call to the first step's start
    # (imports done, definitions, the dbt manifest): where a night's time goes (`cadence bench`).
    step_seconds: dict[str, float] = field(default_factory=dict)

    def render(self) -> str:
        lines = [f"nightly cadence audit as of {self.as_of}: {'succeeded' if self.succeeded else 'FAILED'}"]
        header = f"  {'crm':<11}{'rows synced':>12}{'overdue':>9}{'created':>9}{'closed':>8}{'failed':>8}"
        lines.append(header)
        for crm in CRMS:
            wb = self.writeback.get(crm, {})
            if crm in self.blocked:
                lines.append(f"  {crm:<11}{'BLOCKED: not synced, no task written (see error)':>54}")
                continue
            if crm not in self.audited or wb.get("skipped"):
                lines.append(f"  {crm:<11}{'not audited (cadence.crms)':>54}")
                continue
            created = wb.get("planned_creates", 0) if wb.get("dry_run") else wb.get("created", 0)
            known = self.succeeded or self.overdue_accounts  # "-": this run built no marts to count
            overdue = f"{self.overdue_accounts.get(crm, 0):,}" if known else "-"
            lines.append(
                f"  {crm:<11}{self.rows_synced.get(crm, 0):>12,}{overdue:>9}"
                f"{created:>9,}{wb.get('closed', 0):>8,}{wb.get('failed', 0):>8,}"
            )
        lines += _writeback_notes(self.writeback)
        lines += [_prospects_note(crm, p) for crm, p in self.prospects.items() if not p.get("skipped")]
        if any(wb.get("dry_run") for wb in self.writeback.values()):
            lines.append("  dry run: nothing was written to the CRMs ('created' is what would be)")
        if self.error:
            lines.append(f"error: {self.error}")
        lines.append(f"warehouse: {self.warehouse}")
        if self.report is not None:
            lines.append(f"report: {self.report}")
        if self.marketing_export is not None:
            lines.append(f"marketing list: {self.marketing_export}")
        return "\n".join(lines)


def _prospects_note(crm: str, prospects: dict[str, Any]) -> str:
    if prospects.get("dry_run"):
        return f"  {crm} prospects (dry run): {prospects.get('planned', 0):,} accounts would be created"
    return (
        f"  {crm} prospects: {prospects.get('created', 0):,} accounts created with "
        f"{prospects.get('contacts_created', 0):,} contacts, {prospects.get('failed', 0):,} failed"
    )


def _writeback_notes(writeback: dict[str, dict[str, Any]]) -> list[str]:
    """One line per CRM whose writeback healed duplicates or settled lost answers (see writeback/run.py)."""
    notes = []
    for crm in CRMS:
        wb = writeback.get(crm, {})
        if wb.get("backdated"):
            notes.append(
                f"  {crm}: the as-of is before the last successful run's (--allow-backdate): no task written"
            )
        if wb.get("healed"):
            notes.append(
                f"  {crm}: closed {wb['healed']:,} duplicate open pipeline task(s), kept the oldest per key"
            )
        if wb.get("recovered"):
            notes.append(
                f"  {crm}: {wb['recovered']:,} created task(s) whose answer was lost were found in the CRM, "
                "not created twice"
            )
        notes += _ledger_notes(crm, wb)
    return notes


def _ledger_notes(crm: str, wb: dict[str, Any]) -> list[str]:
    """How the writeback ledger converged to the CRM (orchestration/writeback/run.py `_plan`)."""
    counts = {name: int(wb.get(name) or 0) for name in ("suppressed", "reconciled", "recreated")}
    if not any(counts.values()):
        return []
    return [
        f"  {crm} ledger: suppressed {counts['suppressed']:,} (written since the last sync), "
        f"reconciled {counts['reconciled']:,} (found in the CRM by key, not resent), "
        f"recreated {counts['recreated']:,} (missing from the CRM, created again)"
    ]


def run_nightly_audit(
    configs: CrmConfigs,
    options: RunOptions,
    blocked: dict[str, str] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> RunSummary:
    """Execute the Dagster job `nightly_cadence_audit` in this process and summarise it.

    `configs` names the audited CRMs' settings (a CRM missing or None is not audited); these settings
    are all the run uses: nothing is read from dlt's config here. `blocked`: audited CRMs left out
    before the job (their preflight failed), with the reason; the run then fails, naming them.
    `instance`: where the run and its events are stored (the caller's, left open); None: an ephemeral
    one, forgotten after the run (`cadence run` keeps its own history in the warehouse).
    """
    from orchestration.defs.quality import gate_failure_message

    called = time.time()
    if not any(configs.values()):
        raise no_crm_error()  # before any work: with no CRM the marts have nothing to join
    audited = [crm for crm, config in configs.items() if config]
    location = WarehouseLocation.parse(options.warehouse)
    check_warehouse_unlocked(location)  # a BI tool holding the file: now, not after the sync
    check_backdate(location, audited, options.as_of, options.allow_backdate)  # one line
    retry = {} if options.retry_base_seconds is None else {"retry_base_seconds": options.retry_base_seconds}
    audit = AuditSettings(
        as_of=options.as_of.isoformat(),
        dry_run=options.dry_run,
        max_tasks_per_run=options.max_tasks_per_run,
        override_quality_gate=options.override_quality_gate,
        allow_backdate=options.allow_backdate,
        allow_queue_jump=options.allow_queue_jump,
        rules_file=options.rules_file,
        lookback_seconds=options.lookback_seconds,
        api_budget_reserve=options.api_budget_reserve,
        key_scan_days=options.key_scan_days,
    )
    warehouse = WarehouseResource(path=str(location.path.resolve()) if location.path else location.url or "")
    prepared_manifest(warehouse.target, audit.rules())  # a parse it needs warms the build (defs/dbt.py)
    defs = build_definitions(
        salesforce=SalesforceResource.from_config(configs.get("salesforce"), **retry),
        hubspot=HubSpotResource.from_config(configs.get("hubspot"), **retry),
        warehouse=warehouse,
        audit=audit,
        registries=RegistryFiles(
            nppes=options.registry_nppes, order_referring=options.registry_order_referring
        ),
        prospect_writeback=options.prospect_writeback,
    )
    job = defs.resolve_job_def("nightly_cadence_audit").with_logger_defs({"progress": progress_logger})
    log_path = run_folder(location) / "logs" / "last-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # dbt's own log lines go to the run log; the terminal shows one line per step.
    stored = nullcontext(instance) if instance is not None else dg.DagsterInstance.ephemeral()
    with stored as run_instance, log_path.open("w") as log, redirect_stdout(log):
        result = job.execute_in_process(
            instance=run_instance, raise_on_error=False, run_config=_PROGRESS_ONLY
        )
        step_seconds = _step_seconds(run_instance, result.run_id, called)
    blocked = blocked or {}
    summary = RunSummary(
        succeeded=result.success and not blocked,
        as_of=options.as_of,
        warehouse=options.warehouse,
        audited=tuple(crm for crm in CRMS if configs.get(crm) or crm in blocked),
        blocked=dict(blocked),
        step_seconds=step_seconds,
    )
    # A blocked quality gate says which expectation failed and how to override; prefer that message.
    job_error = None if result.success else gate_failure_message(result) or _failure_message(result)
    left_out = [f"{crm} not synced, no task written: {reason}" for crm, reason in blocked.items()]
    summary.error = "\n".join([*left_out, *([job_error] if job_error else [])]) or None
    built = _collect_materializations(result, summary)
    # Only marts this run built: after a failure before dbt, the file still holds an earlier build's.
    if MARTS_MODEL in built:
        summary.overdue_accounts = _overdue_accounts(location)
    return summary


_PROGRESS_ONLY = {"loggers": {"progress": {}}}
_STEP_EVENTS = {"STEP_START": "started", "STEP_SUCCESS": "done", "STEP_FAILURE": "FAILED"}


@dg.logger(description="One line per step on the terminal, plus warnings and errors.")
def progress_logger(_: dg.InitLoggerContext) -> logging.Logger:
    terminal = logging.StreamHandler(sys.__stderr__)
    terminal.addFilter(_progress_filter)
    terminal.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger("cadence.progress")
    log.handlers = [terminal]
    log.setLevel(logging.DEBUG)  # step events are DEBUG; the filter keeps only those and warnings
    log.propagate = False
    return log


def _progress_filter(record: logging.LogRecord) -> bool:
    meta = getattr(record, "dagster_meta", None) or {}
    event = meta.get("dagster_event")
    if event is not None and event.event_type_value in _STEP_EVENTS:
        record.msg = f"  {meta.get('step_key')}: {_STEP_EVENTS[event.event_type_value]}"
        record.args = ()
        return True
    if record.levelno >= logging.WARNING:
        record.msg = (
            f"  {meta.get('step_key') or ''} {meta.get('orig_message') or record.getMessage()}".rstrip()
        )
        record.args = ()
        return True
    return False


def _step_seconds(instance: dg.DagsterInstance, run_id: str, called: float) -> dict[str, float]:
    """Wall seconds of each step the run started, slowest first, after the start-up before them."""
    stats = [s for s in instance.get_run_step_stats(run_id) if s.start_time is not None]
    if not stats:
        return {}
    seconds = {"start-up": min(s.start_time for s in stats) - called}  # type: ignore[type-var]
    ran = {s.step_key: (s.end_time or time.time()) - s.start_time for s in stats}  # type: ignore[operator]
    seconds.update(sorted(ran.items(), key=lambda item: -item[1]))
    return {step: round(value, 2) for step, value in seconds.items()}


def _collect_materializations(result: dg.ExecuteInProcessResult, summary: RunSummary) -> set[str]:
    """Fill the summary from this run's materializations; the names of the assets it built."""
    built: set[str] = set()
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        key = materialization.asset_key.path
        built.add(key[-1])
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        if key[0] in CRMS and len(key) == 2:
            rows = metadata.get("rows_loaded") or 0
            summary.rows_synced[key[0]] = summary.rows_synced.get(key[0], 0) + int(rows or 0)
        elif key[-1].endswith("_task_writeback"):
            summary.writeback[key[-1].removesuffix("_task_writeback")] = metadata
        elif key[-1].endswith("_prospect_writeback"):
            summary.prospects[key[-1].removesuffix("_prospect_writeback")] = metadata
        elif key[-1] == "cadence_report":
            summary.report = Path(str(metadata["path"]))
        elif key[-1] == "marketing_export":
            summary.marketing_export = Path(str(metadata["folder"]))
    return built


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The one-line message of the first failed step, preferring the CadenceError that caused it."""
    cadence_errors = {cls.__name__ for cls in _subclasses(CadenceError)}
    for event in result.all_events:
        if not event.is_step_failure or event.step_failure_data is None:
            continue
        error = event.step_failure_data.error
        chain = []
        while error is not None:
            chain.append(error)
            error = error.cause or error.context
        for info in chain:
            if info.cls_name in cadence_errors:
                return _without_class_name(info.message, info.cls_name)
        return f"step {event.step_key} failed: {chain[-1].message.strip().splitlines()[0]}"
    return "the run failed; see the Dagster logs above"


def _without_class_name(message: str, cls_name: str) -> str:
    """Dagster's message reads `package.module.ClassName: text` for classes outside builtins."""
    head, separator, text = message.partition(": ")
    named = separator and head.rsplit(".", 1)[-1] == cls_name
    return (text if named else message).strip()


def _subclasses(cls: type) -> set[type]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


def run_folder(location: WarehouseLocation) -> Path:
    """Where a run's logs go: its outputs folder (ingest/local_state.py)."""
    return outputs_folder(location)


def _overdue_accounts(warehouse: WarehouseLocation) -> dict[str, int]:
    if not exists(warehouse):
        return {}
    with connect(warehouse, read_only=True) as con:
        if not con.table_exists("marts.account_cadence"):
            return {}
        rows = con.execute(
            "select crm, count(*) from marts.account_cadence where is_overdue group by crm"
        ).fetchall()
    return dict(rows)
