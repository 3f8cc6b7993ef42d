"""The settings of a real run: which CRMs are audited, how to reach each, and the run's own knobs.

`load_settings()` resolves them with dlt's providers, in dlt's order: environment variables, then
`.dlt/secrets.toml`, then `.dlt/config.toml` (of the working directory). Each value is read from its
own section ONLY: dlt would otherwise fall back from `sources.salesforce.username` to a bare
`USERNAME` env var, which every shell sets. Mistyped keys, missing keys and an empty configuration
fail here, before any work, with one line naming the fix (SettingsError).

The sandbox, the demo, the bench and the tests never call this: they build their own settings.
"""

from __future__ import annotations

import difflib
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import (
    ConfigurationValueError,
    ValueNotSecretException,
)
from dlt.common.configuration.providers import (
    ConfigProvider,
    ConfigTomlProvider,
    EnvironProvider,
    SecretsTomlProvider,
)
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.configuration.specs.config_providers_context import ConfigProvidersContainer
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from ingest.config import CRM_CONFIGS, CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.errors import SettingsError
from orchestration import defaults

README_SECTION = 'README, section "Pointing it at a real org"'
LEGACY_WAREHOUSE_ENV = "CADENCE_WAREHOUSE"  # kept working: older setups export it


@configspec
class RunSettings(BaseConfiguration):
    """`[cadence]` of .dlt/config.toml, or `CADENCE__<KEY>` env vars. A new run setting: a field here
    (with its default), a row in the README's settings table."""

    section: ClassVar[tuple[str, ...]] = ("cadence",)
    # The CRMs audited: a list, or "salesforce,hubspot" in an env var. Default: every CRM with any key set.
    crms: str | list[str] | None = None
    warehouse: str = defaults.WAREHOUSE  # the DuckDB file or a postgresql:// URL (also CADENCE_WAREHOUSE)
    max_tasks_per_run: int = defaults.MAX_TASKS_PER_RUN
    # Every incremental read starts this long before the saved cursor (ingest/cursor.py).
    lookback_seconds: float = defaults.LOOKBACK_SECONDS
    # Share of the CRM's remaining daily API allowance a run leaves for the org's other integrations.
    api_budget_reserve: float = defaults.API_BUDGET_RESERVE
    # Days between key scans of the objects other than accounts (ingest/key_scan.py); 0: every night.
    key_scan_days: float = defaults.KEY_SCAN_DAYS
    # Public registries (issue 15): files the nightly job (re)loads into raw_registries when they change
    # (size or mtime): the NPPES monthly full file and the CMS Order and Referring CSV.
    registry_nppes: str | None = None
    registry_order_referring: str | None = None
    # Prospect accounts from the registry candidates (issue 15, docs/writeback-prospects.md): off, dry_run
    # (the nightly job logs what it would create) or on.
    prospect_writeback: str = "off"


@dataclass(frozen=True)
class Settings:
    """What `cadence run` audits: each audited CRM's settings (only those) and the run's settings."""

    crms: dict[str, CrmConfig]
    run: RunSettings = field(default_factory=RunSettings)
    settings_dir: Path = Path(".dlt")

    @property
    def salesforce(self) -> SalesforceConfig | None:
        return self.crms.get("salesforce")  # type: ignore[return-value]

    @property
    def hubspot(self) -> HubSpotConfig | None:
        return self.crms.get("hubspot")  # type: ignore[return-value]


def load_settings(settings_dir: str | Path | None = None) -> Settings:
    """Resolve and check every setting; raise SettingsError (one line) on the first problem."""
    directory = (Path(settings_dir) if settings_dir is not None else _default_settings_dir()).absolute()
    toml = [SecretsTomlProvider(str(directory)), ConfigTomlProvider(str(directory))]
    sources = _Sources(directory, toml)
    sources.refuse_unknown_keys()
    run = _resolve(RunSettings(warehouse=_legacy_warehouse()), RunSettings.section, toml, "cadence")
    _check_run_settings(run)
    audited = _audited_crms(run, sources)
    crms = {crm: _crm_settings(crm, toml, sources, listed=run.crms is not None) for crm in audited}
    return Settings(crms=crms, run=run, settings_dir=directory)


def _check_run_settings(run: RunSettings) -> None:
    from ingest.warehouse import WarehouseLocation, refuse_registries_on_postgres

    location = WarehouseLocation.parse(run.warehouse)  # a path, or a postgresql:// URL naming host and db
    if run.registry_nppes or run.registry_order_referring:
        refuse_registries_on_postgres(location)
    if not 0 <= run.api_budget_reserve < 1:
        raise SettingsError(
            f"cadence.api_budget_reserve is {run.api_budget_reserve}: set a share from 0 (use the whole "
            "allowance) to below 1, e.g. 0.2 to leave 20% of the daily API allowance to other integrations"
        )
    if run.lookback_seconds < 0:
        raise SettingsError(f"cadence.lookback_seconds is {run.lookback_seconds}: set 0 or more seconds")
    if run.key_scan_days < 0:
        raise SettingsError(
            f"cadence.key_scan_days is {run.key_scan_days}: set 0 (every night) or more days, e.g. 7"
        )
    if run.prospect_writeback not in ("off", "dry_run", "on"):
        raise SettingsError(
            f"cadence.prospect_writeback is {run.prospect_writeback!r}: set off, dry_run or on"
        )
    for key in ("registry_nppes", "registry_order_referring"):
        path = getattr(run, key)
        if path and not Path(path).expanduser().is_file():
            raise SettingsError(
                f"cadence.{key} is {path}, which is not a file: download it from CMS or unset it"
            )


def no_crm_error() -> SettingsError:
    return SettingsError(
        "no CRM is configured: set SOURCES__SALESFORCE__* or SOURCES__HUBSPOT__* "
        f"({README_SECTION}), or try the pipeline on the sandbox CRM with `cadence demo`"
    )


def _default_settings_dir() -> Path:
    import dlt

    return Path(dlt.current.run_context().settings_dir)


def _legacy_warehouse() -> str:
    return os.environ.get(LEGACY_WAREHOUSE_ENV) or RunSettings.warehouse


# ---- which keys are set, and where ---------------------------------------------------------------
def _env_name(sections: tuple[str, ...], key: str = "") -> str:
    return "__".join([*sections, key] if key else sections).upper() + ("" if key else "__")


class _Sources:
    """The keys set in each of our sections, by env var and by toml file, to spot typos and CRMs in use."""

    def __init__(self, directory: Path, toml: list[ConfigProvider]) -> None:
        self.directory = directory
        self.toml = toml

    def keys(self, sections: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        """(key, where) for every key set in this section."""
        prefix = _env_name(sections)
        for name in os.environ:
            if name.upper().startswith(prefix) and len(name) > len(prefix):
                yield name[len(prefix) :].lower(), name
        for provider in self.toml:
            node: Any = getattr(provider, "_config_doc", {})
            for section in sections:
                node = node.get(section, {}) if isinstance(node, Mapping) else {}
            for key in node if isinstance(node, Mapping) else ():
                yield key, f"{key} in [{'.'.join(sections)}] of {self.directory / provider.name}"

    def any_set(self, sections: tuple[str, ...]) -> bool:
        return next(self.keys(sections), None) is not None

    def refuse_unknown_keys(self) -> None:
        known: dict[tuple[str, ...], list[str]] = {
            RunSettings.section: list(RunSettings.get_resolvable_fields()),
            **{spec.sections(): spec.setting_names() for spec in CRM_CONFIGS.values()},
        }
        problems = [
            _unknown_key(key, where, sections, names)
            for sections, names in known.items()
            for key, where in self.keys(sections)
            if key not in names
        ]
        if problems:
            raise SettingsError("; ".join(problems))


def _unknown_key(key: str, where: str, sections: tuple[str, ...], names: list[str]) -> str:
    guess = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    env = where.isupper()
    if guess:
        hint = _env_name(sections, guess[0]) if env else guess[0]
        return f"{where} is not a {sections[-1]} setting: did you mean {hint}?"
    return f"{where} is not a {sections[-1]} setting (known: {', '.join(names)})"


# ---- resolution through dlt ----------------------------------------------------------------------
class _OwnSectionOnly(ConfigProvider):
    """A dlt provider that answers only for keys of one exact section (no fallback to outer sections)."""

    def __init__(self, inner: ConfigProvider, sections: tuple[str, ...]) -> None:
        self.inner = inner
        self.sections = sections

    def get_value(self, key: str, hint: Any, pipeline_name: str | None, *sections: str) -> tuple[Any, str]:
        if pipeline_name or tuple(sections) != self.sections:
            return None, key
        return self.inner.get_value(key, hint, None, *sections)

    def get_value_location(self, key: str, pipeline_name: str | None, *sections: str) -> str:
        return self.inner.get_value_location(key, pipeline_name, *sections)

    @property
    def supports_secrets(self) -> bool:
        return self.inner.supports_secrets

    @property
    def supports_sections(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return self.inner.name


_PROVIDERS_LOCK = threading.Lock()


@contextmanager
def _providers(providers: list[ConfigProvider]) -> Iterator[None]:
    """dlt resolves from the providers of its run context: lend it ours for one resolution."""
    context = Container()[PluggableRunContext]
    with _PROVIDERS_LOCK:
        saved = context.providers
        context.providers = ConfigProvidersContainer(providers)
        try:
            yield
        finally:
            context.providers = saved


def _resolve(
    config: BaseConfiguration, sections: tuple[str, ...], toml: list[ConfigProvider], name: str
) -> Any:
    providers = [_OwnSectionOnly(p, sections) for p in (EnvironProvider(), *toml)]
    try:
        with _providers(providers):
            return resolve_configuration(config, sections=sections, accept_partial=True)
    except ValueNotSecretException as error:
        key = error.key.rsplit(".", 1)[-1]
        raise SettingsError(
            f"{name} setting {key} is a secret: move it out of {error.provider_name} into "
            f"secrets.toml or the env var {_env_name(sections, key)}"
        ) from None
    except ConfigurationValueError as error:
        raise SettingsError(f"{name} settings: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _audited_crms(run: RunSettings, sources: _Sources) -> list[str]:
    if run.crms is None:
        audited = [crm for crm, spec in CRM_CONFIGS.items() if sources.any_set(spec.sections())]
    else:
        audited = _listed_crms(run.crms)
        for crm in audited:
            if crm not in CRM_CONFIGS:
                guess = difflib.get_close_matches(crm, CRM_CONFIGS, n=1)
                hint = f"did you mean {guess[0]}?" if guess else f"known: {', '.join(CRM_CONFIGS)}"
                raise SettingsError(f"cadence.crms lists {crm!r}, which is not a CRM: {hint}")
    if not audited:
        raise no_crm_error()
    return audited


def _listed_crms(crms: str | list[str]) -> list[str]:
    """`["salesforce", "hubspot"]` (toml, JSON in an env var) or `salesforce,hubspot`."""
    if isinstance(crms, str):
        try:
            crms = orjson.loads(crms) if crms.lstrip().startswith("[") else crms.split(",")
        except orjson.JSONDecodeError:
            raise SettingsError(f"cadence.crms is not a list: {crms}; write salesforce,hubspot") from None
    return [str(crm).strip().lower() for crm in crms if str(crm).strip()]


def _crm_settings(crm: str, toml: list[ConfigProvider], sources: _Sources, listed: bool) -> CrmConfig:
    spec = CRM_CONFIGS[crm]
    config: CrmConfig = _resolve(spec(), spec.sections(), toml, crm)
    missing = config.missing()
    if missing:
        why = "it is listed in cadence.crms" if listed else "some of its keys are set"
        env = ", ".join(_env_name(spec.sections(), key) for key in missing)
        raise SettingsError(
            f"{crm} is audited ({why}) but misses {', '.join(missing)}: looked in the env vars {env}, "
            f"and under [sources.{crm}] in {sources.directory}/secrets.toml and config.toml "
            f"({README_SECTION})"
        )
    return config
