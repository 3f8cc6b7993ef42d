"""One entry point to sync a configured CRM, whichever it is."""

from __future__ import annotations

from pathlib import Path

from ingest.config import HubSpotConfig, SalesforceConfig, hubspot_config_from_dlt, salesforce_config_from_dlt
from ingest.sync_result import SyncResult

CrmConfigs = dict[str, SalesforceConfig | HubSpotConfig | None]


def configured_crms() -> CrmConfigs:
    """The CRMs dlt's config names (env vars, .dlt/*.toml); None for one that is not configured."""
    return {"salesforce": salesforce_config_from_dlt(), "hubspot": hubspot_config_from_dlt()}


def sync_crm(
    crm: str, config: SalesforceConfig | HubSpotConfig, warehouse: Path, progress: bool = False
) -> SyncResult:
    if isinstance(config, SalesforceConfig):
        from ingest.salesforce import sync_salesforce

        return sync_salesforce(config, warehouse, progress=progress)
    from ingest.hubspot import sync_hubspot

    return sync_hubspot(config, warehouse, progress=progress)
