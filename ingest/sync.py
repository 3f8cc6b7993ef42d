"""One entry point to sync a CRM, whichever it is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ingest.config import CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.sync_result import SyncResult

CrmConfigs = Mapping[str, SalesforceConfig | HubSpotConfig | CrmConfig | None]  # None: not audited


def sync_crm(crm: str, config: CrmConfig, warehouse: Path, progress: bool = False) -> SyncResult:
    if isinstance(config, SalesforceConfig):
        from ingest.salesforce import sync_salesforce

        return sync_salesforce(config, warehouse, progress=progress)
    from ingest.hubspot import sync_hubspot

    assert isinstance(config, HubSpotConfig), crm
    return sync_hubspot(config, warehouse, progress=progress)
