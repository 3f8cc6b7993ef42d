"""Where the CRMs are and how to log in: one typed config per CRM.

Values come from dlt's configuration (`.dlt/config.toml`, `.dlt/secrets.toml`, or environment variables
such as `SOURCES__SALESFORCE__CLIENT_SECRET`), or are passed in directly (the sandbox, tests, Dagster
resources). Secrets are excluded from `repr` so they never reach a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dlt


@dataclass(frozen=True)
class SalesforceConfig:
    login_url: str  # the org's My Domain (https://acme.my.salesforce.com) or the sandbox's URL
    client_id: str
    client_secret: str = field(repr=False)
    username: str | None = None  # with password: OAuth password grant; without: client credentials
    password: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None  # PEM to trust instead of the system CAs (the sandbox's own CA)
    api_version: str = "59.0"
    task_key_field: str = "Cadence_Task_Key__c"


@dataclass(frozen=True)
class HubSpotConfig:
    access_token: str = field(repr=False)  # a private app's token
    base_url: str = "https://api.hubapi.com"
    ca_bundle: str | None = None
    task_key_property: str = "cadence_task_key"


def _section(name: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("login_url", "client_id", "username", "ca_bundle", "api_version", "base_url"):
        value = dlt.config.get(f"sources.{name}.{key}")
        if value is not None:
            values[key] = value
    for key in ("client_secret", "password", "access_token"):
        value = dlt.secrets.get(f"sources.{name}.{key}")
        if value is not None:
            values[key] = value
    return values


def salesforce_config_from_dlt() -> SalesforceConfig | None:
    """The configured Salesforce org, or None when none is configured (the CRM is then skipped)."""
    values = _section("salesforce")
    if not {"login_url", "client_id", "client_secret"} <= values.keys():
        return None
    return SalesforceConfig(**{k: v for k, v in values.items() if k in SalesforceConfig.__dataclass_fields__})


def hubspot_config_from_dlt() -> HubSpotConfig | None:
    values = _section("hubspot")
    if "access_token" not in values:
        return None
    return HubSpotConfig(**{k: v for k, v in values.items() if k in HubSpotConfig.__dataclass_fields__})
