"""The Dagster code location: `dagster dev -m orchestration.definitions` shows the whole graph."""

from __future__ import annotations

import logging

import dagster as dg

from ingest.errors import SettingsError
from orchestration.resources import (
    AuditSettings,
    HubSpotResource,
    RegistryFiles,
    SalesforceResource,
    WarehouseResource,
)
from orchestration.settings import Settings, load_settings


def build_definitions(
    salesforce: SalesforceResource | None = None,
    hubspot: HubSpotResource | None = None,
    warehouse: WarehouseResource | None = None,
    audit: AuditSettings | None = None,
    registries: RegistryFiles | None = None,
    prospect_writeback: str = "off",
) -> dg.Definitions:
    """All definitions with these resources; a CRM resource not given is not audited.

    The dbt assets come from dbt's manifest, prepared here (parsed when missing or stale): work done
    when the definitions are built, never at import (`defs` below is what Dagster loads). The asset
    modules load here too: importing this module costs Dagster's import and little more."""
    from orchestration.defs import jobs, marketing, people, quality, report, writeback
    from orchestration.defs.dbt import dbt_definitions
    from orchestration.defs.ingest import ingest_definitions
    from orchestration.defs.prospects import prospects_definitions
    from orchestration.defs.registries import registries_definitions

    resources = {
        "salesforce": salesforce or SalesforceResource(),
        "hubspot": hubspot or HubSpotResource(),
        "warehouse": warehouse or WarehouseResource(),
        "audit": audit or AuditSettings(),
        "registries": registries or RegistryFiles(),
    }
    return dg.Definitions.merge(
        ingest_definitions(), dbt_definitions(), registries_definitions(resources["registries"]),
        writeback.defs, prospects_definitions(prospect_writeback), quality.defs, people.defs, report.defs,
        marketing.defs, jobs.defs,
        dg.Definitions(resources=resources),
    )  # fmt: skip


def code_location_definitions(settings: Settings | None = None) -> dg.Definitions:
    """The definitions `dagster dev` and the daemon load: the settings of `load_settings()`, with
    every secret as a `dg.EnvVar` (its name, not its value, is what Dagster stores).

    Settings that do not load (none at all, a typo, a secret only in secrets.toml) do not stop the code
    location: the UI still shows the whole graph, and every run fails at its first steps with the one
    line that names the fix, before any CRM call."""
    try:
        settings = settings or load_settings()
        return build_definitions(
            salesforce=SalesforceResource.from_config(settings.salesforce, secrets_from_env=True),
            hubspot=HubSpotResource.from_config(settings.hubspot, secrets_from_env=True),
            warehouse=WarehouseResource(path=settings.run.warehouse),
            audit=AuditSettings(
                max_tasks_per_run=settings.run.max_tasks_per_run,
                lookback_seconds=settings.run.lookback_seconds,
                api_budget_reserve=settings.run.api_budget_reserve,
                key_scan_days=settings.run.key_scan_days,
            ),
            registries=RegistryFiles(
                nppes=settings.run.registry_nppes, order_referring=settings.run.registry_order_referring
            ),
            prospect_writeback=settings.run.prospect_writeback,
        )
    except SettingsError as error:
        logging.getLogger(__name__).warning("every run will fail: %s", error)
        return build_definitions(
            salesforce=SalesforceResource(settings_error=str(error)),
            hubspot=HubSpotResource(settings_error=str(error)),
        )


@dg.definitions
def defs() -> dg.Definitions:
    # Loaded when Dagster loads the code location, not at import: importing this module reads no setting.
    return code_location_definitions()
