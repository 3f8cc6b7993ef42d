"""Product settings for a running sandbox CRM: how the pipeline's clients log in to it.

Product-side on purpose: the sandbox never imports product config (`ingest.config`); the product
knows the sandbox's public URLs and credentials instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ingest.config import HubSpotConfig, SalesforceConfig
from ingest.sandbox.credentials import SandboxCredentials


class SandboxAddress(Protocol):
    """Where a sandbox listens: a `RunningSandbox`, or the bench's endpoints of one in another process."""

    https_url: str
    http_url: str
    ca_path: Path | str

    @property
    def credentials(self) -> SandboxCredentials: ...


def salesforce_config(running: SandboxAddress, **overrides: Any) -> SalesforceConfig:
    """How a client logs in to the sandbox's Salesforce (client-credentials grant over TLS)."""
    credentials = running.credentials
    values: dict[str, Any] = {
        "login_url": running.https_url,
        "client_id": credentials.salesforce_client_id,
        "client_secret": credentials.salesforce_client_secret,
        "ca_bundle": str(running.ca_path),
    }
    return SalesforceConfig(**{**values, **overrides})


def hubspot_config(running: SandboxAddress, oauth: bool = False, **overrides: Any) -> HubSpotConfig:
    """How a client reaches the sandbox's HubSpot over plain HTTP: a private-app token, or with `oauth`
    a public app's refresh grant (its access tokens expire after 30 sandbox minutes)."""
    credentials = running.credentials
    values: dict[str, Any] = {"base_url": running.http_url}
    if oauth:
        values |= {
            "client_id": credentials.hubspot_client_id,
            "client_secret": credentials.hubspot_client_secret,
            "refresh_token": credentials.hubspot_refresh_token,
        }
    else:
        values["access_token"] = credentials.hubspot_token
    return HubSpotConfig(**{**values, **overrides})
