"""Typed Dagster resources: the warehouse, each CRM, and the audit's run settings."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from ingest.config import (
    HubSpotConfig,
    SalesforceConfig,
    hubspot_config_from_dlt,
    salesforce_config_from_dlt,
)

if TYPE_CHECKING:
    from orchestration.rules import Rules

DEFAULT_WAREHOUSE = "var/warehouse.duckdb"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. One writer at a time: the job runs its steps serially."""

    path: str = os.environ.get("CADENCE_WAREHOUSE", DEFAULT_WAREHOUSE)

    @property
    def file(self) -> Path:
        return Path(self.path).resolve()


class SalesforceResource(dg.ConfigurableResource):
    """A Salesforce org. Unset fields fall back to dlt's config (`SOURCES__SALESFORCE__*`)."""

    login_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    ca_bundle: str | None = None
    retry_base_seconds: float = 0.5

    def crm_config(self) -> SalesforceConfig | None:
        """The org to talk to, or None when none is configured (the CRM is then skipped)."""
        if self.login_url and self.client_id and self.client_secret:
            return SalesforceConfig(
                login_url=self.login_url,
                client_id=self.client_id,
                client_secret=self.client_secret,
                username=self.username,
                password=self.password,
                ca_bundle=self.ca_bundle,
            )
        return salesforce_config_from_dlt()

    @classmethod
    def from_config(cls, config: SalesforceConfig | None, **kwargs: float) -> SalesforceResource:
        if config is None:
            return cls(**kwargs)
        return cls(
            login_url=config.login_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            username=config.username,
            password=config.password,
            ca_bundle=config.ca_bundle,
            **kwargs,
        )


class HubSpotResource(dg.ConfigurableResource):
    """A HubSpot portal. Unset fields fall back to dlt's config (`SOURCES__HUBSPOT__*`)."""

    access_token: str | None = None
    base_url: str | None = None
    ca_bundle: str | None = None
    retry_base_seconds: float = 0.5

    def crm_config(self) -> HubSpotConfig | None:
        if self.access_token:
            extra = {"base_url": self.base_url} if self.base_url else {}
            return HubSpotConfig(access_token=self.access_token, ca_bundle=self.ca_bundle, **extra)
        return hubspot_config_from_dlt()

    @classmethod
    def from_config(cls, config: HubSpotConfig | None, **kwargs: float) -> HubSpotResource:
        if config is None:
            return cls(**kwargs)
        return cls(
            access_token=config.access_token, base_url=config.base_url, ca_bundle=config.ca_bundle, **kwargs
        )


class AuditSettings(dg.ConfigurableResource):
    """Per-run knobs of the nightly audit."""

    as_of: str | None = None  # YYYY-MM-DD; default today in UTC
    dry_run: bool = False
    max_tasks_per_run: int = 500
    override_quality_gate: bool = False
    rules_file: str | None = None  # the business rules (cadence.yml); None: $CADENCE_RULES, ./cadence.yml

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else datetime.now(UTC).date()

    def rules(self) -> Rules:
        from orchestration.rules import find_rules

        return find_rules(self.rules_file)

    def rules_label(self) -> str:
        """The rules file as messages name it (the file to create when there is none)."""
        from orchestration.rules import rules_label, rules_path

        return rules_label(rules_path(self.rules_file))
