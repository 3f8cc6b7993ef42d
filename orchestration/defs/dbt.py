"""dbt assets: every model of dbt_project, its tests as asset checks, built as of the run's date.

Nothing here runs at import: `dbt_definitions()` (called when the code location builds its
definitions) prepares the manifest the asset graph comes from, as dagster-dbt's
`DbtProject.prepare_if_dev()` does under `dagster dev`, and also wherever the manifest is missing or
older than a model: `cadence run` and the tests have no deploy step that packages one. Other assets
name these by asset key (orchestration/defs/keys.py), never by importing this module.
"""

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from orchestration.crm_blocks import raise_if_nothing_synced
from orchestration.dbt_runner import PROJECT_DIR, Warehouse, dbt_cli, run_dbt, start_dbt
from orchestration.resources import (
    AuditSettings,
    HubSpotResource,
    SalesforceResource,
    WarehouseResource,
    audited_crms,
)

if TYPE_CHECKING:
    from orchestration.rules import Rules

# Unit tests check the SQL, not the data: CI runs them; the nightly run skips them.
NIGHTLY_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def _manifest_is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [*PROJECT_DIR.glob("models/**/*"), *PROJECT_DIR.glob("macros/**/*")]
    sources.append(PROJECT_DIR / "dbt_project.yml")
    return any(path.stat().st_mtime > built for path in sources if path.is_file())


def prepared_manifest(warehouse: Warehouse | None = None, rules: "Rules | None" = None) -> Path:
    """The dbt manifest the asset graph is built from; parsed again when a model changed.

    Given the night's `warehouse` and `rules`, a parse that is needed is the one the night's build
    would do first: in the warehouse's target folder with the build's vars (`start_dbt`), so the build
    finds its partial-parse cache warm: one full parse on a first night or after an edit, not two
    (a parse anywhere else, or with other vars, is no cache for the build: docs.getdbt.com/reference/parsing).
    """
    manifest = PROJECT_DIR / "target" / "manifest.json"
    if not _manifest_is_stale(manifest):
        return manifest
    if warehouse is None:
        run_dbt(["parse", "--quiet"], warehouse=None, target_path=manifest.parent)
        return manifest
    parse_for_build(manifest, warehouse, rules)
    return manifest


def parse_for_build(manifest: Path, warehouse: Warehouse, rules: "Rules | None") -> None:
    """Parse as the build on `warehouse` with `rules` will (its target, its vars); copy the manifest."""
    parsed = Path(run_dbt(["parse", "--quiet"], warehouse, rules=rules).target_path) / "manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    partial = manifest.with_name(f"manifest.{os.getpid()}.json")  # whole or absent: parallel runs
    shutil.copyfile(parsed, partial)
    os.replace(partial, manifest)


def dbt_definitions() -> dg.Definitions:
    """The dbt assets and the dbt resource, from the prepared manifest."""
    manifest = prepared_manifest()
    return _definitions(manifest, manifest.stat().st_mtime_ns)


@functools.cache
def _definitions(manifest: Path, _version: int) -> dg.Definitions:
    """Built once per manifest version (`_version`): every run of a process shares the asset graph."""
    from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

    project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)

    @dbt_assets(manifest=manifest, project=project, pool="warehouse")
    def cadence_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        audit: AuditSettings,
        salesforce: SalesforceResource,
        hubspot: HubSpotResource,
    ) -> Iterator[Any]:
        # A night on which no audited CRM synced keeps the last good marts (nothing new to build on).
        raise_if_nothing_synced(warehouse.location, context.run.run_id, audited_crms(salesforce, hubspot))
        # The rules as vars: the same values every night, so dbt's partial parse still holds.
        invocation = start_dbt(
            NIGHTLY_BUILD, warehouse.target, audit.as_of_date(), rules=audit.rules(),
            context=context, dbt=dbt, raise_on_error=True,
        )  # fmt: skip
        yield from invocation.stream()

    return dg.Definitions(assets=[cadence_dbt_models], resources={"dbt": dbt_cli()})
