"""Before `cadence run` starts the job: does each audited CRM answer, and accept our credentials?

Without it a wrong login URL or a rejected secret surfaces as a failed step among a page of progress
lines, exit 1. Here it is the client's own one-line message (CrmUnreachableError / CrmAuthError: it names
the setting to fix and never the secret), exit 2, before the Dagster job and any write. One cheap call
per CRM: Salesforce's OAuth token request, HubSpot's company property list (the sync reads it anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ingest.config import CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.errors import CadenceError


def check_crms(crms: Mapping[str, CrmConfig]) -> None:
    """Raise the first CRM's one-line CadenceError when it cannot be reached or refuses our login."""
    from orchestration.input_checks import check_crm_settings

    for crm, config in crms.items():
        check_crm_settings(crm, config)  # a malformed URL or CA path: one line, before any connection
    for crm, config in crms.items():
        _CHECKS[crm](config)


def failing_crms(crms: Mapping[str, CrmConfig]) -> dict[str, CadenceError]:
    """Each CRM that cannot be reached or refuses our login, with its one-line error.

    Each CRM stands alone (issue 18): `cadence run` stops before the job only when every audited CRM
    fails here; otherwise the others run and the failing ones are reported (exit 1).
    """
    from orchestration.input_checks import check_crm_settings

    for crm, config in crms.items():
        check_crm_settings(crm, config)  # a setting that cannot work (malformed URL, CA path): exit 2
    failures: dict[str, CadenceError] = {}
    for crm, config in crms.items():
        try:
            _CHECKS[crm](config)
        except CadenceError as error:
            failures[crm] = error
    return failures


def _log_in_to_salesforce(config: SalesforceConfig) -> None:
    from ingest.salesforce.helpers import connect

    connect(config)


def _read_from_hubspot(config: HubSpotConfig) -> None:
    from ingest.hubspot.helpers import HubSpotClient

    client = HubSpotClient(config)
    try:
        client.property_names("companies")  # 401 on a bad token, 403 on a missing crm.objects scope
    finally:
        client.close()


_CHECKS: dict[str, Callable[..., None]] = {"salesforce": _log_in_to_salesforce, "hubspot": _read_from_hubspot}
