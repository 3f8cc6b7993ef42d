"""dbt assets: every model of dbt_project, its tests as asset checks, built as of the run's date."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.crm_blocks import raise_if_nothing_synced
from orchestration.dbt_runner import dbt_environment
from orchestration.resources import (
    AuditSettings,
    HubSpotResource,
    SalesforceResource,
    WarehouseResource,
    audited_crms,
)

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# The dbt installed beside this Python (the project's venv), whether or not its bin/ is on PATH:
# `cadence-dbt` (orchestration/dbt_child.py: dbt that dies with the run) once the venv has it.
_BIN = Path(sys.executable).parent
DBT_EXECUTABLE = str(_BIN / "cadence-dbt" if (_BIN / "cadence-dbt").exists() else _BIN / "dbt")
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [*DBT_PROJECT_DIR.glob("models/**/*"), *DBT_PROJECT_DIR.glob("macros/**/*")]
    sources.append(DBT_PROJECT_DIR / "dbt_project.yml")
    return any(path.stat().st_mtime > built for path in sources if path.is_file())


def ensure_manifest() -> Path:
    """The dbt manifest the asset graph is built from; parsed again when a model changed."""
    manifest = dbt_project.manifest_path
    if _manifest_is_stale(manifest):
        DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
            ["--quiet", "parse"], target_path=manifest.parent
        ).wait()
    return manifest


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, pool="warehouse")
def cadence_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    audit: AuditSettings,
    salesforce: SalesforceResource,
    hubspot: HubSpotResource,
) -> Iterator[Any]:
    raise_if_nothing_synced(warehouse.file, context.run.run_id, audited_crms(salesforce, hubspot))
    with dbt_environment(warehouse.file, audit.as_of_date()):
        # Unit tests check the SQL, not the data: CI runs them; the nightly run skips them.
        # A target folder per warehouse keeps dbt's partial-parse cache valid from one night to the next.
        target = warehouse.file.parent / f".dbt-{warehouse.file.stem}"
        # The business rules as vars: the same values every night, so partial parse still holds.
        rules = json.dumps(audit.rules().dbt_vars())
        args = ["build", "--exclude-resource-type", "unit_test", "--vars", rules]
        yield from dbt.cli(args, context=context, target_path=target).stream()


defs = dg.Definitions(
    assets=[cadence_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
)
