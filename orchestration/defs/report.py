"""The cadence report asset: one HTML page per run, after the writeback so it lists the tasks written."""

import dagster as dg

from orchestration.defs.keys import KPI_SNAPSHOT, WRITEBACKS
from orchestration.resources import AuditSettings, WarehouseResource


@dg.asset(
    deps=[*WRITEBACKS, KPI_SNAPSHOT],
    group_name="report",
    pool="warehouse",
    kinds={"html"},
)
def cadence_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, audit: AuditSettings
) -> dg.MaterializeResult:
    """The manager's morning page: waterfall, overdue accounts and this run's tasks, referral potential
    against effort, rhythm. Self-contained HTML beside the warehouse (reports/)."""
    from orchestration.report import default_report_path, write_report  # altair, vl-convert: at run time

    output = default_report_path(warehouse.location, audit.as_of_date().isoformat(), context.run.run_id)
    write_report(warehouse.location, output, run_id=context.run.run_id, rules=audit.rules())
    context.log.info(f"cadence report: {output}")
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(output)), "bytes": output.stat().st_size}
    )


defs = dg.Definitions(assets=[cadence_report])
