"""Typed Dagster resources: the warehouse, each CRM, and the audit's run settings.

A CRM resource carries exactly the fields of its settings class (ingest/config.py), and nothing else
decides what the run talks to: a resource built without settings audits nothing (it never falls back
to dlt's config at run time). In the code location the secrets are `dg.EnvVar`s, so Dagster stores
the variable's name, never its value, in its run and snapshot storage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import dagster as dg

from ingest.config import CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.errors import SettingsError
from ingest.warehouse import WarehouseLocation
from orchestration import defaults

if TYPE_CHECKING:
    from orchestration.rules import Rules


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: a DuckDB file (one writer at a time: the job runs its steps serially) or a
    PostgreSQL URL (issue 16)."""

    path: str = defaults.WAREHOUSE

    @property
    def file(self) -> Path:
        """The DuckDB file, for DuckDB-only steps. A PostgreSQL URL has none: a step that asks fails in
        one line naming the warehouse with its password hidden (Path(url) would print the password)."""
        location = WarehouseLocation.parse(self.path)
        if location.path is None:
            raise SettingsError(f"warehouse {location}: this step needs a DuckDB file, not PostgreSQL yet")
        return location.path.resolve()

    @property
    def target(self) -> Path | WarehouseLocation:
        """What dlt's pipeline and dbt's runner take: the resolved DuckDB file, or the PostgreSQL
        location (`file` would fold a URL's `//` into a bogus path: issue 16)."""
        location = self.location
        return location.path if location.path is not None else location

    @property
    def location(self) -> WarehouseLocation:
        """The DuckDB file (resolved) or the PostgreSQL URL `path` holds: what every reader and
        writer of ingest/warehouse.py takes (issue 16)."""
        location = WarehouseLocation.parse(self.path)
        return location if location.is_postgres else WarehouseLocation("duckdb", path=self.file)


class CrmResource(dg.ConfigurableResource):
    """One CRM's settings as a resource; `audited=False` (the default) means the run leaves it alone."""

    settings_type: ClassVar[type[CrmConfig]]
    audited: bool = False
    # Why the code location has no settings (its one-line SettingsError): each run then fails at its first
    # step with it, while `dagster dev` still shows the graph.
    settings_error: str | None = None

    def crm_config(self) -> CrmConfig | None:
        """The CRM's settings, or None when the run does not audit it."""
        if self.settings_error:
            raise SettingsError(self.settings_error)
        if not self.audited:
            return None
        values = {name: getattr(self, name) for name in self.settings_type.setting_names()}
        config = self.settings_type(**{k: v for k, v in values.items() if v is not None})
        if config.missing():
            raise SettingsError(
                f"the {self.settings_type.crm} resource misses {', '.join(config.missing())}: "
                f"set {', '.join(map(self.settings_type.env_name, config.missing()))}"
            )
        return config

    @classmethod
    def from_config(cls, config: CrmConfig | None, secrets_from_env: bool = False, **overrides: Any) -> Self:
        """The resource for these settings (None: not audited). `secrets_from_env`: secrets as dg.EnvVar."""
        if config is None:
            return cls()
        values: dict[str, Any] = {**dict(config), **overrides}
        unknown = set(values) - set(cls.model_fields)
        if unknown:  # Dagster resources accept unknown keywords silently: a field must not get lost here
            raise TypeError(f"{cls.__name__} lacks the settings {sorted(unknown)}")
        if secrets_from_env:
            values.update(_secrets_as_env_vars(config))
        return cls(audited=True, **values)


def _secrets_as_env_vars(config: CrmConfig) -> dict[str, Any]:
    import os

    secrets: dict[str, Any] = {}
    for name in config.secret_names():
        if getattr(config, name) is None:
            continue
        env = config.env_name(name)
        if env not in os.environ:
            raise SettingsError(
                f"{config.crm} setting {name} must be the env var {env} for Dagster (from "
                ".dlt/secrets.toml its value would be stored in Dagster's run storage)"
            )
        secrets[name] = dg.EnvVar(env)
    return secrets


class SalesforceResource(CrmResource):
    """A Salesforce org: the fields of ingest.config.SalesforceConfig (tests check they match)."""

    settings_type: ClassVar[type[CrmConfig]] = SalesforceConfig
    login_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    ca_bundle: str | None = None
    api_version: str | None = None
    task_key_field: str | None = None
    retry_base_seconds: float | None = None


class HubSpotResource(CrmResource):
    """A HubSpot portal: the fields of ingest.config.HubSpotConfig (tests check they match)."""

    settings_type: ClassVar[type[CrmConfig]] = HubSpotConfig
    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    base_url: str | None = None
    ca_bundle: str | None = None
    task_key_property: str | None = None
    retry_base_seconds: float | None = None
    search_requests_per_second: float | None = None
    requests_per_10_seconds: int | None = None


def audited_crms(salesforce: SalesforceResource, hubspot: HubSpotResource) -> list[str]:
    """The CRMs this run audits (those with settings), in the order the job runs them."""
    crms = {"salesforce": salesforce.crm_config(), "hubspot": hubspot.crm_config()}
    return [crm for crm, config in crms.items() if config is not None]


class AuditSettings(dg.ConfigurableResource):
    """Per-run knobs of the nightly audit."""

    as_of: str | None = None  # YYYY-MM-DD; default today in UTC
    dry_run: bool = False
    max_tasks_per_run: int = defaults.MAX_TASKS_PER_RUN
    override_quality_gate: bool = False
    allow_backdate: bool = False  # an as-of before the last run's: refused unless set (then no close)
    allow_queue_jump: bool = False  # pass the queue-ratio guard (orchestration/writeback/guards.py)
    rules_file: str | None = None  # the business rules (cadence.yml); None: $CADENCE_RULES, ./cadence.yml
    lookback_seconds: float = defaults.LOOKBACK_SECONDS
    api_budget_reserve: float = defaults.API_BUDGET_RESERVE
    key_scan_days: float = defaults.KEY_SCAN_DAYS

    def sync_limits(self) -> dict[str, float]:
        """The keywords of the CRM sources that come from the run settings."""
        return {
            "lookback_seconds": self.lookback_seconds,
            "api_budget_reserve": self.api_budget_reserve,
            "key_scan_days": self.key_scan_days,
        }

    def hubspot_source_options(self) -> dict[str, Any]:
        """The HubSpot source's association re-read window (ingest/hubspot/associations.py)."""
        from ingest.hubspot.associations import meetings_reread_since

        since = meetings_reread_since(self.as_of_date(), self.rules().visit_window_days())
        return {"reread_meetings_since": since}

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else datetime.now(UTC).date()

    def rules(self) -> Rules:
        from orchestration.rules import find_rules

        return find_rules(self.rules_file)

    def rules_label(self) -> str:
        """The rules file as messages name it (the file to create when there is none)."""
        from orchestration.rules import rules_label, rules_path

        return rules_label(rules_path(self.rules_file))


class RegistryFiles(dg.ConfigurableResource):
    """The public registry files the nightly job reloads when they change (cadence.registry_*)."""

    nppes: str | None = None
    order_referring: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.nppes or self.order_referring)
