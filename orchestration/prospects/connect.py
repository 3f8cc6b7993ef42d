"""A prospect writer for a configured CRM (the CLI and the Dagster asset share it). The CRM clients
load here, when a run writes, not when a module imports this one."""

from __future__ import annotations

from ingest.config import CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.errors import UsageError
from orchestration.prospects.writer import ProspectWriter
from orchestration.rules import Rules

MODES = ("off", "dry_run", "on")  # cadence.prospect_writeback


def prospect_writer(crm: str, config: CrmConfig, rules: Rules) -> ProspectWriter:
    """The writer of `crm`, creating accounts with the rules' first prospect type / lifecycle stage."""
    if crm == "salesforce":
        from ingest.salesforce.helpers import connect
        from orchestration.prospects.salesforce import SalesforceProspectWriter

        assert isinstance(config, SalesforceConfig)
        return SalesforceProspectWriter(connect(config), _first(rules.salesforce_prospect_types, crm))
    from ingest.hubspot.helpers import HubSpotClient
    from orchestration.prospects.hubspot import HubSpotProspectWriter

    assert isinstance(config, HubSpotConfig)
    return HubSpotProspectWriter(HubSpotClient(config), _first(rules.hubspot_prospect_lifecyclestages, crm))


def _first(values: list[str], crm: str) -> str:
    if not values:
        rule = "salesforce_prospect_types" if crm == "salesforce" else "hubspot_prospect_lifecyclestages"
        raise UsageError(f"{rule} is empty: name the prospect value new prospect accounts get in cadence.yml")
    return values[0]
