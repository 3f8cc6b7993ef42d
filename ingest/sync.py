"""One entry point to sync a CRM, whichever it is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ingest.config import CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.cursor import DEFAULT_LOOKBACK_SECONDS
from ingest.key_scan import DEFAULT_KEY_SCAN_DAYS
from ingest.sync_result import SyncResult

CrmConfigs = Mapping[str, SalesforceConfig | HubSpotConfig | CrmConfig | None]  # None: not audited


def sync_crm(
    crm: str,
    config: CrmConfig,
    warehouse: Path,
    progress: bool = False,
    lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
    api_budget_reserve: float | None = None,  # None: reads are not governed
    key_scan_days: float = DEFAULT_KEY_SCAN_DAYS,
) -> SyncResult:
    limits = {
        "lookback_seconds": lookback_seconds,
        "api_budget_reserve": api_budget_reserve,
        "key_scan_days": key_scan_days,
    }
    if isinstance(config, SalesforceConfig):
        from ingest.salesforce import sync_salesforce

        return sync_salesforce(config, warehouse, progress=progress, **limits)
    from ingest.hubspot import sync_hubspot

    assert isinstance(config, HubSpotConfig), crm
    return sync_hubspot(config, warehouse, progress=progress, **limits)
