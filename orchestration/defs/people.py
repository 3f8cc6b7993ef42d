"""The per-person KPI snapshot: after the writeback succeeded, tonight's leaderboard joins the history
the report charts (orchestration/kpi_history.py), and each audited CRM's record links are known."""

import dagster as dg

from orchestration.defs.keys import WRITEBACKS
from orchestration.resources import AuditSettings, HubSpotResource, SalesforceResource, WarehouseResource


@dg.asset(deps=WRITEBACKS, group_name="report", pool="warehouse", kinds={"duckdb"})
def rep_kpi_snapshot(
    context: dg.AssetExecutionContext,
    salesforce: SalesforceResource,
    hubspot: HubSpotResource,
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> dg.MaterializeResult:
    """Each rep's on-cadence %, new prospects and visits as of tonight, one row per person per as-of
    (a rerun of the as-of replaces its rows). A dry run records nothing: it is a preview."""
    from orchestration.crm_links import record_instances  # duckdb, pandas: at run time
    from orchestration.kpi_history import record_snapshot

    configs = {crm: config for crm, config in (("salesforce", salesforce.crm_config()),
                                               ("hubspot", hubspot.crm_config())) if config}  # fmt: skip
    links = record_instances(warehouse.location, configs)
    if audit.dry_run:
        return dg.MaterializeResult(metadata={"skipped": "dry run", "record_links": sorted(links)})
    people = record_snapshot(warehouse.location, context.run.run_id, audit.as_of_date())
    return dg.MaterializeResult(metadata={"people": people, "record_links": sorted(links)})


defs = dg.Definitions(assets=[rep_kpi_snapshot])
