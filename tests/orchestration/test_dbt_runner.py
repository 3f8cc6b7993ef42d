"""The dbt resource skips dagster-dbt's `dbt --version` child and its in-process adapter (dbt_runner)."""

import functools
from importlib.metadata import version

from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.dbt_runner import dbt_cli


def test_the_skipped_private_hooks_still_exist_in_dagster_dbt() -> None:
    # The overrides only help while dagster-dbt calls these names: an upgrade that renames them fails here.
    assert isinstance(DbtCliResource.__dict__.get("_cli_version"), functools.cached_property)
    assert callable(DbtCliResource.__dict__.get("_initialize_dbt_core_adapter"))


def test_the_resource_knows_dbts_version_and_builds_no_adapter() -> None:
    resource = dbt_cli()
    assert isinstance(resource, DbtCliResource)
    assert resource._cli_version == Version(version("dbt-core"))
    assert resource._cli_version.major < 2  # dbt-core, not Fusion: dagster-dbt's dbt-core path
    assert resource._initialize_dbt_core_adapter(["build"]) is None
