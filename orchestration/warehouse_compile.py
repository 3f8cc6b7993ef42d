"""`dbt compile` of the project for every warehouse adapter installed beside it, with no warehouse at all
(issue 16, docs/warehouses.md): the models and macros must render for PostgreSQL, Snowflake and BigQuery
as they do for DuckDB, before anyone points the project at one of them.

Each adapter gets a profile of placeholders (no account, host or key is real) in a temporary profiles
directory; dbt opens a connection only for a query, and `--no-populate-cache` plus the
`compile_without_warehouse` var (macros/source_or_empty.sql, the project's only introspection) leave it
none to run. What this proves: every model compiles through that adapter's macros (relation names,
quoting, `adapter.dispatch` picks). What it cannot: that the warehouse accepts the SQL, which only a
build on a live account shows.

    python -m orchestration.warehouse_compile [ADAPTER ...]   # default: all; exit 1 if one failed

dbt-postgres is a dependency; `pip install -c constraints.txt -e ".[warehouses]"` adds dbt-snowflake and
dbt-bigquery (docs/warehouses.md: why not in dev). An adapter not installed is reported, not failed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from orchestration.dbt_runner import PROJECT_DIR, dbt_args, dbt_environment, dbt_executable
from orchestration.rules import Rules

PROFILE = "cadence"  # dbt_project.yml's profile
SCHEMA = "cadence"
# Placeholders shaped like each adapter's documented profile (docs/warehouses.md has the real ones).
PROFILES: dict[str, dict[str, Any]] = {
    "duckdb": {"type": "duckdb", "path": ":memory:"},
    "postgres": {
        "type": "postgres", "host": "warehouse.invalid", "port": 5432, "user": "compile_only",
        "password": "", "dbname": "cadence", "schema": SCHEMA,
    },
    "snowflake": {
        "type": "snowflake", "account": "compile-only", "user": "compile_only", "password": "",
        "role": "transformer", "warehouse": "transforming", "database": "cadence", "schema": SCHEMA,
    },
    # `oauth` looks for the machine's gcloud login as dbt starts; a given token is only sent with a query.
    "bigquery": {
        "type": "bigquery", "method": "oauth-secrets", "token": "compile-only", "project": "compile-only",
        "dataset": SCHEMA, "location": "US",
    },
}  # fmt: skip
COMPILE_AS_OF = date(2026, 11, 27)  # the as-of macro reads CADENCE_AS_OF when a model compiles
ERROR_CHARS = 300
Status = Literal["compiled", "not installed", "failed"]


@dataclass(frozen=True)
class CompileResult:
    adapter: str
    status: Status
    seconds: float = 0.0
    detail: str = ""  # failed: the start of dbt's error; not installed: how to install
    target_path: Path | None = None  # compiled: where target/compiled/ is

    def line(self) -> str:
        took = f" in {self.seconds:.0f} s" if self.seconds else ""
        return f"{self.adapter:<10} {self.status}{took}{': ' + self.detail if self.detail else ''}"


def is_installed(adapter: str) -> bool:
    return importlib.util.find_spec(f"dbt.adapters.{adapter}") is not None


def write_profiles(adapter: str, directory: Path) -> Path:
    """profiles.yml with one target, named after the adapter (JSON is YAML: no quoting to get wrong)."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {PROFILE: {"target": adapter, "outputs": {adapter: {**PROFILES[adapter], "threads": 4}}}}
    (directory / "profiles.yml").write_text(json.dumps(document, indent=2), encoding="utf-8")
    return directory


def compile_for(adapter: str, workdir: Path) -> CompileResult:
    """`dbt compile` for `adapter` in `workdir` (its profile, target and logs); the result."""
    if not is_installed(adapter):
        how = f'pip install -c constraints.txt -e ".[warehouses]" (dbt-{adapter})'
        return CompileResult(adapter, "not installed", detail=how)
    profiles = write_profiles(adapter, workdir / adapter)
    target = profiles / "target"
    args = dbt_args(
        ["compile", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(profiles), "--target", adapter,
         "--target-path", str(target), "--log-path", str(profiles / "logs"), "--no-populate-cache"],
        vars={"compile_without_warehouse": True}, rules=Rules(),
    )  # fmt: skip
    started = time.perf_counter()
    with dbt_environment(None, COMPILE_AS_OF):  # no anonymous usage stats; the as-of the models read
        done = subprocess.run([dbt_executable(), *args], capture_output=True, text=True, cwd=profiles)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return CompileResult(adapter, "failed", seconds, _first_error(done.stdout + done.stderr))
    return CompileResult(adapter, "compiled", seconds, target_path=target)


def _first_error(output: str) -> str:
    """dbt's error, from its first "Error" line on, as one line."""
    lines = output.splitlines()
    start = next((n for n, line in enumerate(lines) if "rror" in line), max(len(lines) - 5, 0))
    return " ".join(" ".join(lines[start:]).split())[:ERROR_CHARS]


def compile_all(adapters: list[str], workdir: Path) -> list[CompileResult]:
    return [compile_for(adapter, workdir) for adapter in adapters]


def main(argv: list[str] | None = None) -> int:
    wanted = (sys.argv[1:] if argv is None else argv) or list(PROFILES)
    unknown = sorted(set(wanted) - set(PROFILES))
    if unknown:
        print(f"unknown adapter {', '.join(unknown)}: use {', '.join(PROFILES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cadence-compile-") as workdir:
        results = compile_all(wanted, Path(workdir))
    for result in results:
        print(result.line())
    return 1 if any(result.status == "failed" for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
