"""Run the dbt project (dbt_project/) in-process against a given DuckDB warehouse."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestration.rules import Rules

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


class DbtRunError(RuntimeError):
    """dbt failed; the message is one line naming the failed nodes."""


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
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


def dbt_environment(warehouse: Path, as_of: date | None = None) -> Any:
    """The environment profiles.yml and the as-of macro read, for the duration of a dbt call.

    The as-of date travels as CADENCE_AS_OF rather than a dbt var: a new var value makes dbt
    re-parse the whole project every run, an env var is only read when models compile.
    """
    values = {"CADENCE_WAREHOUSE": str(Path(warehouse).resolve()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if as_of is not None:
        values["CADENCE_AS_OF"] = as_of.isoformat()
    return _environment(values)


def dbt_args(
    args: list[str],
    as_of: date | None = None,
    vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
    log_path: Path | None = None,
    rules: Rules | None = None,
) -> list[str]:
    """The full dbt command line for `args` (e.g. ["build"]) on this project; `rules` become vars."""
    run_vars = {**(rules.dbt_vars() if rules is not None else {}), **(vars or {})}
    if as_of is not None:
        run_vars["as_of"] = as_of.isoformat()
    full = [*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    if run_vars:
        full += ["--vars", json.dumps(run_vars, default=str)]
    if target_path is not None:
        full += ["--target-path", str(target_path)]
    if log_path is not None:
        full += ["--log-path", str(log_path)]
    return full


def _release_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB instance open in-process after a run, which blocks other
    connections to the file with another configuration (read_only) and other processes: close it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()


def _failure_summary(result: Any) -> str:
    if result.exception is not None:
        return f"{type(result.exception).__name__}: {result.exception}"
    failed = [
        node
        for node in getattr(result.result, "results", None) or []
        if str(getattr(node, "status", "")).lower() in {"error", "fail", "runtime error"}
    ]
    if not failed:
        return "unknown failure"
    first = failed[0]
    message = " ".join(str(first.message or "").split())[:300]
    return f"{len(failed)} node(s) failed, first {first.node.unique_id}: {message}"


def run_dbt(
    args: list[str],
    warehouse: Path,
    as_of: date | None = None,
    vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
    log_path: Path | None = None,
    rules: Rules | None = None,
) -> Any:
    """Invoke dbt in-process on `warehouse`; returns dbt's result, raises DbtRunError on failure.

    Example: run_dbt(["build"], Path("var/warehouse.duckdb"), as_of=date(2024, 6, 30)).
    """
    from dbt.cli.main import dbtRunner

    with dbt_environment(warehouse):
        try:
            result = dbtRunner().invoke(dbt_args(args, as_of, vars, target_path, log_path, rules))
        finally:
            _release_warehouse()
    if not result.success:
        summary = " ".join(_failure_summary(result).split())
        raise DbtRunError(f"dbt {' '.join(args)} failed: {summary}")
    return result
