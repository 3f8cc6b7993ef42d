"""The Dagster code location: `dagster dev -m orchestration.definitions` shows the whole graph."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import dbt, ingest, jobs, quality, report, writeback
from orchestration.resources import AuditSettings, HubSpotResource, SalesforceResource, WarehouseResource


def build_definitions(
    salesforce: SalesforceResource | None = None,
    hubspot: HubSpotResource | None = None,
    warehouse: WarehouseResource | None = None,
    audit: AuditSettings | None = None,
) -> dg.Definitions:
    """All definitions, with the CRM and run resources given (defaults read dlt config / env vars)."""
    resources = {
        "salesforce": salesforce or SalesforceResource(),
        "hubspot": hubspot or HubSpotResource(),
        "warehouse": warehouse or WarehouseResource(),
        "audit": audit or AuditSettings(),
    }
    return dg.Definitions.merge(
        ingest.defs, dbt.defs, writeback.defs, quality.defs, report.defs, jobs.defs,
        dg.Definitions(resources=resources),
    )


defs = build_definitions()
