"""The dbt path's fixed costs: no `dbt --version` child or in-process adapter (dbt_runner), one parse a
first night (defs/dbt.py `prepared_manifest`)."""

import functools
import json
import shutil
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging.version import Version

from ingest.warehouse import WarehouseLocation
from orchestration.dbt_runner import (
    PROJECT_DIR,
    dbt_args,
    dbt_cli,
    parse_seed,
    run_dbt,
    start_dbt,
    warehouse_env,
    warehouse_target,
)
from orchestration.defs.dbt import parse_for_build
from orchestration.rules import Rules


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


def test_a_parse_for_the_build_leaves_the_builds_partial_parse_warm(tmp_path: Path) -> None:
    """A first night parses once: the manifest's parse is the build's, so the build skips parsing."""
    warehouse, manifest = tmp_path / "warehouse.duckdb", tmp_path / "project-target" / "manifest.json"
    parse_for_build(manifest, warehouse, Rules())
    assert json.loads(manifest.read_text())["metadata"]["project_name"] == "cadence"
    # What the build does first, with the same vars; dbt's debug events (JSON lines) say how it parsed.
    invocation = start_dbt(["--debug", "ls"], warehouse, rules=Rules())
    events = {event.raw_event["info"]["name"] for event in invocation.stream_raw_events()}
    assert invocation.is_successful()
    assert "PartialParsingSkipParsing" in events and "UnableToPartialParse" not in events


def test_a_warehouse_folder_moved_keeps_its_partial_parse(tmp_path: Path) -> None:
    """The profile names the warehouse by its file name, dbt running in its folder: a parse made for
    one folder still holds in another (a folder moved; each test's fresh folder seeded, tests/helpers.py)."""
    parsed, moved = tmp_path / "night" / "warehouse.duckdb", tmp_path / "moved" / "warehouse.duckdb"
    cache = Path(run_dbt(["parse", "--quiet"], parsed, rules=Rules()).target_path) / "partial_parse.msgpack"
    warehouse_target(moved).mkdir(parents=True)
    shutil.copyfile(cache, warehouse_target(moved) / "partial_parse.msgpack")
    invocation = start_dbt(["--debug", "ls"], moved, rules=Rules())
    events = {event.raw_event["info"]["name"] for event in invocation.stream_raw_events()}
    assert invocation.is_successful()
    assert "PartialParsingSkipParsing" in events and "UnableToPartialParse" not in events
    assert not parsed.parent.joinpath("logs").exists()  # dbt wrote nowhere but its target


def test_a_new_warehouse_starts_from_the_parse_another_warehouse_shared(tmp_path: Path) -> None:
    """A first night in a new folder (the demo's, each test's) skips the full parse: dbt's child copies
    the seed the last parse for this profile and vars left (orchestration/dbt_child.py) whatever
    dbt_project/target/partial_parse.msgpack holds (a parse without a warehouse leaves one there)."""
    first, second = tmp_path / "first" / "warehouse.duckdb", tmp_path / "second" / "warehouse.duckdb"
    project_cache = PROJECT_DIR / "target" / "partial_parse.msgpack"
    if not project_cache.exists():  # as the suite's manifest parse leaves it (tests/parallel.py)
        run_dbt(["parse", "--quiet"], None, target_path=project_cache.parent)
    cache = Path(run_dbt(["parse", "--quiet"], first, rules=Rules()).target_path) / "partial_parse.msgpack"
    profile = warehouse_env(WarehouseLocation.parse(first))
    seed_folder = parse_seed(profile, dbt_args(["parse"], rules=Rules()))
    seed = seed_folder / "partial_parse.msgpack"
    assert seed.exists() and seed.stat().st_mtime_ns >= cache.stat().st_mtime_ns
    assert not warehouse_target(second).exists()
    invocation = start_dbt(["--debug", "ls"], second, rules=Rules())
    events = {event.raw_event["info"]["name"] for event in invocation.stream_raw_events()}
    assert invocation.is_successful()
    assert "PartialParsingSkipParsing" in events and "UnableToPartialParse" not in events
    assert (warehouse_target(second) / "partial_parse.msgpack").exists()
