"""The quality gate: GX suites as blocking Dagster asset checks, and the run-over-run baseline.

Raw checks run after each CRM's sync (ahead of every step that waits, by priority); mart checks run
after dbt and before the writeback. A failed critical expectation fails its check with ERROR severity
and the run fails with the check's description. A raw check blocks only its own CRM (issue 18: each CRM
stands alone): it is not a Dagster-blocking check, which would skip the shared dbt build and the other
CRM's writeback; it records the block (orchestration/crm_blocks.py) and that CRM's writeback fails.
A mart check blocks Dagster's downstream, both writebacks. With `override_quality_gate` the same checks
run and report, with WARN severity, and the writeback proceeds.
"""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from expectations.history import record_baseline, volume_frame
from expectations.rules_fit import STATUS_KEYS, mismatches, rules_fit_frame
from expectations.runner import QualityRun, SuiteOutcome, summarise, warehouse_tables
from expectations.suites import (
    MART_SUITES,
    MAX_VOLUME_DROP,
    RAW_SUITES,
    RULES_FIT_SUITE,
    VOLUME_SUITE,
    SuiteParams,
    SuiteSpec,
)
from ingest.warehouse import connect
from orchestration.crm_blocks import block_crm, blocks
from orchestration.defs.keys import WRITEBACKS, model_key
from orchestration.load_gate import record_passed_load
from orchestration.resources import (
    AuditSettings,
    HubSpotResource,
    SalesforceResource,
    WarehouseResource,
    audited_crms,
)

OVERRIDE_HINT = (
    "If the change is real (e.g. accounts really were deleted or reassigned), rerun with "
    "--override-quality-gate (AuditSettings.override_quality_gate=True): the checks still run and "
    "report, and the writeback proceeds."
)
MAX_LISTED_FAILURES = 5


def _asset_key(spec: SuiteSpec) -> dg.AssetKey:
    """Raw suites name their [crm, table] key; mart suites name a dbt model."""
    if len(spec.asset) == 1:
        return model_key(spec.asset[0])
    return dg.AssetKey(list(spec.asset))


def _check_specs(specs: Sequence[SuiteSpec], blocking: bool = True) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            spec.name, asset=_asset_key(spec), blocking=blocking, description=f"GX suite on {spec.table}"
        )
        for spec in specs
    ]


RAW_CHECK_PRIORITY = {"dagster/priority": "10"}  # before any ready step: the writeback reads its verdict


def _configured(salesforce: SalesforceResource, hubspot: HubSpotResource) -> list[str]:
    return audited_crms(salesforce, hubspot)


def _params(audit: AuditSettings) -> SuiteParams:
    return SuiteParams(
        as_of=audit.as_of_date(),
        now=datetime.now(UTC),
        max_tasks_per_run=audit.max_tasks_per_run,
        rules=audit.rules(),
        rules_label=audit.rules_label(),
    )


def _quality_run(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, audit: AuditSettings
) -> QualityRun:
    return QualityRun(warehouse.location, f"{audit.as_of_date().isoformat()}_{context.run.run_id[:8]}")


def gate_message(
    outcome: SuiteOutcome, overridden: bool, page: str, hint: Sequence[str] = (OVERRIDE_HINT,)
) -> str:
    """Which expectation failed, on which table, example rows, and the fix: `hint` (by default, how to
    override deliberately; the rules file's keys when the rules, not the data, caused the failure)."""
    failures = outcome.critical_failures
    head = (
        f"quality gate OVERRIDDEN for {outcome.spec.table}"
        if overridden
        else f"quality gate blocked the writeback: {len(failures)} critical expectation(s) failed "
        f"on {outcome.spec.table}"
    )
    lines = [head, *(f"- {f.describe()}" for f in failures[:MAX_LISTED_FAILURES])]
    if not overridden:
        lines.extend(hint)
    lines.append(f"Data Docs: {page}")
    return "\n".join(lines)


def _result(
    outcome: SuiteOutcome, audit: AuditSettings, page: str, hint: Sequence[str] = (OVERRIDE_HINT,)
) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {"data_docs": dg.MetadataValue.path(page), "table": outcome.spec.table}
    key = _asset_key(outcome.spec)
    if outcome.skipped:
        metadata["skipped"] = outcome.skipped
        return dg.AssetCheckResult(
            check_name=outcome.spec.name, asset_key=key, passed=True, metadata=metadata
        )
    metadata.update(summarise([outcome]))
    flagged = [*outcome.critical_failures, *outcome.warnings]
    if flagged:
        metadata["failed_expectations"] = dg.MetadataValue.md("\n".join(f"- {f.describe()}" for f in flagged))
    blocking = bool(outcome.critical_failures) and not audit.override_quality_gate
    description = (
        gate_message(outcome, audit.override_quality_gate, page, hint) if outcome.critical_failures else None
    )
    return dg.AssetCheckResult(
        check_name=outcome.spec.name,
        asset_key=key,
        passed=not flagged,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def _report(
    context: dg.AssetCheckExecutionContext,
    run: QualityRun,
    outcomes: list[SuiteOutcome],
    audit: AuditSettings,
    hints: dict[str, list[str]] | None = None,
) -> Iterator[dg.AssetCheckResult]:
    """`hints`: suite name -> the fix to name instead of the override (the rules file's keys)."""
    page = str(run.build_docs())
    for outcome in outcomes:
        for warning in outcome.warnings:
            context.log.warning(f"quality warning: {warning.describe()}")
        if outcome.critical_failures and audit.override_quality_gate:  # on the terminal, not only metadata
            failed = outcome.critical_failures[0].describe()
            context.log.warning(f"quality gate OVERRIDDEN (--override-quality-gate), writing back: {failed}")
        yield _result(outcome, audit, page, (hints or {}).get(outcome.spec.name) or [OVERRIDE_HINT])


def _raw_skip_reason(
    crm: str, configured: list[str], warehouse: WarehouseResource, run_id: str
) -> str | None:
    if crm not in configured:
        return f"{crm} is not audited"
    if blocks(warehouse.location, run_id, crm):
        return f"{crm}'s sync failed: its raw layer is last night's"
    return None


def _settle_raw_load(
    context: dg.AssetCheckExecutionContext,
    crm: str,
    outcomes: list[SuiteOutcome],
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> None:
    """A good (or accepted) load lets the next sync move its cursors past it; a blocked one blocks
    only this CRM's writeback (orchestration/crm_blocks.py)."""
    blocked = [o for o in outcomes if o.critical_failures]
    if audit.override_quality_gate or not blocked:
        load_id = record_passed_load(warehouse.location, crm, context.run.run_id)
        context.log.info(f"{crm} raw load {load_id} passed its checks: its cursors commit next sync")
        return
    failure = blocked[0].critical_failures[0].describe()
    block_crm(warehouse.location, context.run.run_id, crm, "raw quality gate", failure)


def _raw_check(crm: str) -> dg.AssetChecksDefinition:
    specs = RAW_SUITES[crm]

    @dg.multi_asset_check(
        specs=_check_specs(specs, blocking=False),
        name=f"{crm}_raw_quality",
        pool="warehouse",
        op_tags=RAW_CHECK_PRIORITY,
    )
    def raw_quality(
        context: dg.AssetCheckExecutionContext,
        salesforce: SalesforceResource,
        hubspot: HubSpotResource,
        warehouse: WarehouseResource,
        audit: AuditSettings,
    ) -> Iterator[dg.AssetCheckResult]:
        skipped = _raw_skip_reason(crm, _configured(salesforce, hubspot), warehouse, context.run.run_id)
        if skipped:
            for spec in specs:
                yield dg.AssetCheckResult(
                    check_name=spec.name,
                    asset_key=_asset_key(spec),
                    passed=True,
                    metadata={"skipped": skipped},
                )
            return
        run = _quality_run(context, warehouse, audit)
        outcomes = run.validate(specs, _params(audit))
        _settle_raw_load(context, crm, outcomes, warehouse, audit)
        yield from _report(context, run, outcomes, audit)

    return raw_quality


@dg.multi_asset_check(
    specs=_check_specs([*MART_SUITES, RULES_FIT_SUITE, VOLUME_SUITE]), name="marts_quality", pool="warehouse"
)
def marts_quality(
    context: dg.AssetCheckExecutionContext,
    salesforce: SalesforceResource,
    hubspot: HubSpotResource,
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> Iterator[dg.AssetCheckResult]:
    """The marts' contract, the rules against the data, and run-over-run volume against the last
    successful run."""
    run = _quality_run(context, warehouse, audit)
    params = _params(audit)
    crms = _configured(salesforce, hubspot)
    outcomes = run.validate(MART_SUITES, params)
    with connect(warehouse.location, read_only=True) as con:
        volume = volume_frame(con, crms)
        fit = rules_fit_frame(con, crms, params.rules, params.rules_label, warehouse_tables(con))
    context.log.info(f"run-over-run volume:\n{volume.to_string(index=False)}")
    for line in mismatches(fit):
        context.log.warning(line)
    outcomes.append(run.validate_frame(RULES_FIT_SUITE, fit, params))
    outcomes.append(run.validate_frame(VOLUME_SUITE, volume, params))
    hints = {
        RULES_FIT_SUITE.name: mismatches(fit.loc[fit["blocks"]]),
        VOLUME_SUITE.name: rules_blame(volume, fit, params.rules_label),
    }
    yield from _report(context, run, outcomes, audit, hints)


def rules_blame(volume: pd.DataFrame, fit: pd.DataFrame, label: str) -> list[str]:
    """Why in-scope accounts fell, when the rules made them fall: accounts still in the CRM moved out
    of scope, or a status value matches no account. Empty when the drop is the data's."""
    lines = []
    for row in volume.itertuples():
        if not (row.account_ratio < 1 - MAX_VOLUME_DROP):  # also false for a null ratio
            continue
        status_mismatches = mismatches(fit.loc[fit["status_rule"]], row.crm)
        if row.moved_out_of_scope > 0 and row.moved_out_of_scope * 2 >= row.baseline_accounts - row.accounts:
            keys = " / ".join(STATUS_KEYS[row.crm])
            lines.append(
                f"{row.crm}: {row.moved_out_of_scope} of the {row.baseline_accounts} in-scope accounts left "
                f"scope while still in the CRM, so the rules moved them: check {keys} in {label}"
            )
        lines.extend(status_mismatches)
    return lines


@dg.asset(
    deps=WRITEBACKS,
    group_name="writeback",
    pool="warehouse",
    kinds={"duckdb"},
)
def quality_baseline(
    context: dg.AssetExecutionContext,
    salesforce: SalesforceResource,
    hubspot: HubSpotResource,
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> dg.MaterializeResult:
    """This run's in-scope account and visit counts, the next run's run-over-run baseline.

    Materialised only after the writeback succeeded (a blocked run skips it, keeping the old bar).
    """
    if audit.dry_run:
        return dg.MaterializeResult(metadata={"skipped": "dry run: the CRM was not acted on"})
    counts = record_baseline(
        warehouse.location, context.run.run_id, audit.as_of_date(), _configured(salesforce, hubspot)
    )
    return dg.MaterializeResult(
        metadata={
            f"{crm}_{name}": value
            for crm, pair in counts.items()
            for name, value in zip(("accounts", "visits"), pair, strict=True)
        }
    )


def gate_failure_message(result: dg.ExecuteInProcessResult) -> str | None:
    """The descriptions of the checks that blocked the run (for `RunSummary.error`), or None."""
    messages = []
    for event in result.all_events:
        evaluation = event.event_specific_data if event.event_type_value == "ASSET_CHECK_EVALUATION" else None
        if (
            evaluation is not None
            and not evaluation.passed
            and evaluation.severity == dg.AssetCheckSeverity.ERROR
        ):
            messages.append(evaluation.description or evaluation.check_name)
    return "\n".join(messages) or None


defs = dg.Definitions(
    asset_checks=[_raw_check("salesforce"), _raw_check("hubspot"), marts_quality], assets=[quality_baseline]
)
