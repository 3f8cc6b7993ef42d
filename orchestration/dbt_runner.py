"""The one way dbt runs: the nightly asset, the manifest parse, the tests and the bench all come here.

dbt runs as a child process (`cadence-dbt`, orchestration/dbt_child.py: it dies with the run) through
dagster-dbt's `DbtCliResource`, so no DuckDB handle of dbt-duckdb's stays open in this process.

Partial parsing (docs.getdbt.com/reference/parsing, "Partial parsing") stays warm across nights: each
warehouse has its own target folder (`warehouse_target`), and nothing that forces a re-parse changes
from one night to the next. dbt re-parses everything when `--vars`, the profile or the target change,
and re-parses every file that read an env var whose value changed (dbt-core #3885, PR #4212); so the
rules travel as `--vars` (the same values every night), and the as-of date as env CADENCE_AS_OF, which
the `as_of_date()` macro reads only when a model is compiled, never while parsing (macros/dates.sql).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ingest.local_state import working_dir
from ingest.warehouse import WarehouseLocation
from orchestration.dbt_child import FOLDER_ENV, PARSE_SEED_ENV

if TYPE_CHECKING:
    from dagster import AssetExecutionContext
    from dagster_dbt import DbtCliInvocation, DbtCliResource

    from orchestration.rules import Rules

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
PARSE_SEEDS_DIR = PROJECT_DIR / "target" / "parse-seeds"  # orchestration/dbt_child.py: the module doc
# A failed build is one line: the failing nodes and the start of their error, enough to name the fix.
ERROR_CHARS = 400
# A DuckDB file or a postgresql:// URL (ingest/warehouse.py).
Warehouse = Path | str | WarehouseLocation
MARTS_BUILD_VAR, MARTS_BUILD_SCHEMA = "cadence_marts_build_schema", "marts__build"
# dagster-dbt sets DBT_LOG_FORMAT=json for the structured stdout it reads, and dbt then writes its
# debug log file (dbt.log in the target folder) as JSON too, unless the file's format is set on its
# own (dbt-core cli/flags.py: LOG_FORMAT overrides LOG_FORMAT_FILE only while the latter is default;
# docs.getdbt.com/reference/global-configs/logs, "Log formatting"). dbt's own default for the file is
# the "debug" text format: the same events and messages, without a protobuf-to-JSON conversion of
# each of the ~4,700 debug events of a nightly build (SQL, connections), at a sixth of the size.
LOG_FILE_FORMAT = {"DBT_LOG_FORMAT_FILE": "debug"}
_SELECTORS = frozenset({"--select", "-s", "--models", "-m", "--exclude", "--selector", "--inline"})


class DbtRunError(RuntimeError):
    """dbt failed; the message is one line naming the failed nodes."""


@contextmanager
def environment_set(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in os.environ for the block (child processes started in it inherit them), then the
    environment as it was."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_environment(
    warehouse: Warehouse | None, as_of: date | None = None, args: list[str] | None = None
) -> Any:
    """The environment profiles.yml and the as-of macro read (and the log file's format, LOG_FILE_FORMAT),
    while a dbt child process starts; with the call's `args`, the partial-parse seed folder it shares:
    dagster-dbt copies a new target's cache from the DBT_TARGET_PATH of this process (the child gets
    its own target's), and cadence-dbt publishes to PARSE_SEED_ENV (orchestration/dbt_child.py)."""
    values = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **LOG_FILE_FORMAT}
    if warehouse is not None:
        values.update(warehouse_env(WarehouseLocation.parse(warehouse)))
        if args is not None:
            seed_folder = str(parse_seed(values, args))
            values.update({PARSE_SEED_ENV: seed_folder, "DBT_TARGET_PATH": seed_folder})
    if as_of is not None:
        values["CADENCE_AS_OF"] = as_of.isoformat()
    return environment_set(values)


def parse_seed(environment: Mapping[str, str], args: list[str]) -> Path:
    """The folder of the partial-parse cache shared by every target parsed with this profile and these
    vars (orchestration/dbt_child.py): named by what dbt's own validity check compares, without
    secrets or the warehouse's folder (the profile names the file, not its folder)."""
    profile = {k: v for k, v in environment.items() if k.startswith("CADENCE_") and k != FOLDER_ENV}
    vars_given = args[args.index("--vars") + 1] if "--vars" in args[:-1] else ""
    key = json.dumps([sorted(profile.items()), vars_given])
    return PARSE_SEEDS_DIR / hashlib.sha256(key.encode()).hexdigest()[:16]


def warehouse_env(location: WarehouseLocation) -> dict[str, str]:
    """The profile's target and its connection (dbt_project/profiles.yml): the password only in
    DBT_ENV_SECRET_*, which dbt never writes to its logs; never on a command line."""
    if location.path is not None:
        return {"CADENCE_DBT_TARGET": "dev", **_duckdb_file_environment(Path(location.path).resolve())}
    parts = urlsplit(location.url or "")
    return {
        "CADENCE_DBT_TARGET": "postgres",
        "CADENCE_PG_HOST": parts.hostname or "localhost",
        "CADENCE_PG_PORT": str(parts.port or 5432),
        "CADENCE_PG_USER": unquote(parts.username or ""),
        "CADENCE_PG_DATABASE": unquote(parts.path.strip("/")),
        "DBT_ENV_SECRET_CADENCE_PG_PASSWORD": unquote(parts.password or ""),
        # libpq reads PGOPTIONS for each connection dbt opens. The planner's row estimates through the
        # stack of staging and intermediate views are far too low (10k accounts guessed as 25 rows), so
        # it picks nested loops: int_visits took minutes at 10k accounts / 100k visits, 1.9 s with
        # them penalised (enable_nestloop=off makes them a last resort, not forbidden:
        # postgresql.org/docs/current/runtime-config-query.html#GUC-ENABLE-NESTLOOP).
        "PGOPTIONS": "-c enable_nestloop=off",
    }


def _duckdb_file_environment(warehouse: Path) -> dict[str, str]:
    """How profiles.yml finds the warehouse: by its file name, dbt running in its folder (cadence-dbt).

    dbt's partial-parse cache is valid only for the profile it was parsed with, and that includes the
    connection's path and the values of the env vars the profile read (dbt-core, parser/manifest.py
    `build_manifest_state_check`: `profile_hash` over `credentials.connection_info()`, and
    `profile_env_vars_hash`). With an absolute path, a warehouse folder moved (or copied, as each
    test's fresh folder is) re-parses the whole project; with the file name, the cache stays valid.
    Plain dbt (no cadence-dbt in an older venv) runs in the project folder: it gets the absolute path.
    """
    if Path(dbt_executable()).name != "cadence-dbt":
        return {"CADENCE_WAREHOUSE": str(warehouse)}
    return {"CADENCE_WAREHOUSE": warehouse.name, FOLDER_ENV: str(warehouse.parent)}


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), whether or not its bin/ is on PATH:
    `cadence-dbt` (dbt that dies with the run) once the venv has it."""
    bin_dir = Path(sys.executable).parent
    child = bin_dir / "cadence-dbt"
    return str(child if child.exists() else bin_dir / "dbt")


@functools.cache
def dbt_cli() -> DbtCliResource:
    """One resource per process (see `_lean_resource_type` for what it skips)."""
    project = str(PROJECT_DIR)
    return _lean_resource_type()(project_dir=project, profiles_dir=project, dbt_executable=dbt_executable())


@functools.cache
def _lean_resource_type() -> type[DbtCliResource]:
    """dagster-dbt's resource without two costs of every `cli()` call that buy this project nothing.

    - `_cli_version` runs `dbt --version`, a whole dbt start-up (seconds) in a child process, to learn
      whether the executable is dbt Fusion. Ours is dbt-core of this venv (`dbt_executable`): its
      version is the installed package's.
    - `_initialize_dbt_core_adapter` imports dbt-core and dbt-duckdb into this process and builds an
      adapter, which dagster-dbt uses only for `fetch_column_metadata()` / `fetch_row_counts()` (its
      event iterator skips both when the adapter is None, dagster_dbt/core/dbt_event_iterator.py):
      we call neither, and a DuckDB handle here is what dbt_runner exists to avoid.
    Both are private to dagster-dbt (pinned in constraints.txt); tests/orchestration/test_dbt_runner.py
    checks that they still exist, so an upgrade that renames them fails a test, not the speed silently.
    """
    from importlib.metadata import version as installed_version

    from dagster_dbt import DbtCliResource
    from packaging.version import Version

    class LeanDbtCliResource(DbtCliResource):
        @functools.cached_property
        def _cli_version(self) -> Version:
            return Version(installed_version("dbt-core"))

        def _initialize_dbt_core_adapter(self, args: Any) -> Any:
            return None

    return LeanDbtCliResource


def warehouse_target(warehouse: Warehouse) -> Path:
    """dbt's target folder for this warehouse (beside a DuckDB file; ingest/local_state.py for Postgres):
    its partial-parse cache is valid night to night."""
    return working_dir(warehouse, "dbt")


def builds_marts_aside(args: list[str], location: WarehouseLocation) -> bool:
    """A whole `build`/`run` on PostgreSQL builds the marts in MARTS_BUILD_SCHEMA and publishes them
    together when it succeeds (dbt_project/macros/publish_marts.sql). A selection (tests, a bench
    phase) builds in place: publishing it would drop the marts it did not build. `parse` gets the same
    var as the build, so the night's parse is the build's partial-parse cache (defs/dbt.py)."""
    selects = any(arg.split("=", 1)[0] in _SELECTORS for arg in args)  # --select x, --select=x
    whole = bool(args) and args[0] in ("build", "run", "parse") and not selects
    return location.is_postgres and whole


def dbt_args(args: list[str], vars: dict[str, Any] | None = None, rules: Rules | None = None) -> list[str]:
    """`args` (e.g. ["build"]) with the rules and `vars` as dbt vars (the as-of date is never one)."""
    run_vars = {**(rules.dbt_vars() if rules is not None else {}), **(vars or {})}
    if "as_of" in run_vars:
        raise ValueError("the as-of date travels as CADENCE_AS_OF (as_of=...), not as a dbt var")
    return [*args, "--vars", json.dumps(run_vars, default=str)] if run_vars else list(args)


def start_dbt(
    args: list[str],
    warehouse: Warehouse | None,
    as_of: date | None = None,
    vars: dict[str, Any] | None = None,
    rules: Rules | None = None,
    target_path: Path | None = None,
    context: AssetExecutionContext | None = None,
    dbt: DbtCliResource | None = None,
    raise_on_error: bool = False,
) -> DbtCliInvocation:
    """Start dbt `args` on `warehouse` as of `as_of`; stream or wait on the returned invocation.

    `target_path` defaults to the warehouse's own (`warehouse_target`); with `context` (a dbt asset's)
    and its `dbt` resource, dagster-dbt selects the run's assets and reports them as it goes;
    `raise_on_error`: the stream raises when dbt fails (the asset fails).
    """
    if target_path is None:
        if warehouse is None:
            raise ValueError("a dbt call without a warehouse needs its target_path")
        target_path = warehouse_target(warehouse)
    if warehouse is not None and builds_marts_aside(args, WarehouseLocation.parse(warehouse)):
        vars = {**(vars or {}), MARTS_BUILD_VAR: MARTS_BUILD_SCHEMA}
    full_args = dbt_args(args, vars, rules)
    with dbt_environment(warehouse, as_of, full_args):  # the child copies the environment at start
        return (dbt or dbt_cli()).cli(
            full_args, context=context, target_path=Path(target_path),
            raise_on_error=raise_on_error,
        )  # fmt: skip


def _failed_nodes(invocation: DbtCliInvocation, started: float) -> str | None:
    """The failed nodes of this call's run_results.json (not an earlier call's, in the same target)."""
    results_file = Path(invocation.target_path) / "run_results.json"
    if not results_file.exists() or results_file.stat().st_mtime < started:
        return None
    results = json.loads(results_file.read_text()).get("results") or []
    failed = [r for r in results if str(r.get("status", "")).lower() in {"error", "fail", "runtime error"}]
    if not failed:
        return None
    message = " ".join(str(failed[0].get("message") or "").split())[:300]
    return f"{len(failed)} node(s) failed, first {failed[0].get('unique_id')}: {message}"


def run_dbt(
    args: list[str],
    warehouse: Warehouse | None,
    as_of: date | None = None,
    vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
    rules: Rules | None = None,
) -> DbtCliInvocation:
    """Run dbt to the end (see `start_dbt`); raises DbtRunError, one line, when it fails.

    Example: run_dbt(["build"], Path("var/warehouse.duckdb"), as_of=date(2024, 6, 30)).
    """
    started = time.time() - 1  # file times have a coarser clock on some filesystems
    invocation = start_dbt(args, warehouse, as_of, vars, rules, target_path).wait()
    if not invocation.is_successful():
        error = invocation.get_error()
        summary = _failed_nodes(invocation, started) or (str(error) if error else "unknown failure")
        raise DbtRunError(f"dbt {' '.join(args)} failed: {' '.join(summary.split())[:ERROR_CHARS]}")
    return invocation
