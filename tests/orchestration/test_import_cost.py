"""No work at import (issue 13): importing a module of the product runs no dbt, creates nothing on disk,
and the modules the code location and the CLI load cost under 3 s each in a fresh process.

The cost is the child's CPU time (user + sys), not its wall time: on a 2-core machine shared with other
test runs, wall time measures the neighbours; an import's CPU time barely moves with them. Both are
printed (`pytest -s`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orchestration", "ingest", "expectations")
MAX_IMPORT_CPU_S = 3.0
# What `dagster dev -m orchestration.definitions`, `cadence run` and the asset code import, and the
# heaviest module of each package (the CRM sources, the quality suites).
ENTRY_MODULES = (
    "orchestration.definitions",
    "orchestration.runtime",
    "orchestration.cli",
    "orchestration.defs.dbt",
    "orchestration.defs.ingest",
    "orchestration.defs.jobs",
    "orchestration.defs.quality",
    "orchestration.defs.report",
    "orchestration.defs.writeback",
    "ingest.salesforce",
    "ingest.hubspot",
    "expectations.runner",
)

# Imports the given modules in a fresh interpreter; prints the CPU seconds of each and what it loaded.
_CHILD = """
import json, resource, sys, time, importlib
wall = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "cpu_s": usage.ru_utime + usage.ru_stime,
    "wall_s": time.perf_counter() - wall,
    "dbt_loaded": sorted(m for m in sys.modules if m == "dbt" or m.startswith(("dbt.", "dagster_dbt"))),
}))
"""


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":  # runs a command when imported: that is its job
                continue
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _import_in_fresh_process(cwd: Path, *modules: str) -> dict[str, object]:
    env_path = {"PYTHONPATH": str(ROOT)}  # the worktree's code, wherever the fresh cwd is
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *modules],
        cwd=cwd,
        env={**_clean_env(), **env_path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE_", "DBT_"))}


def _tree(directory: Path) -> dict[str, int]:
    """Every file under `directory` with its modification time (ns)."""
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): p.stat().st_mtime_ns for p in directory.rglob("*") if p.is_file()}


def test_importing_every_module_runs_no_dbt_and_creates_nothing(tmp_path: Path) -> None:
    dbt_target = ROOT / "dbt_project" / "target"
    before = _tree(dbt_target)
    loaded = _import_in_fresh_process(tmp_path, *_modules())
    print(f"\nall {len(_modules())} modules: cpu {loaded['cpu_s']:.2f} s, wall {loaded['wall_s']:.2f} s")
    assert list(tmp_path.iterdir()) == []  # no var/, no .dlt pipeline folder, no dbt logs in the cwd
    assert _tree(dbt_target) == before  # no `dbt parse` wrote a manifest
    assert loaded["dbt_loaded"] == []  # dbt and dagster-dbt load only when the definitions are built


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_a_module_imports_in_under_3_s(module: str, tmp_path: Path) -> None:
    loaded = _import_in_fresh_process(tmp_path, module)
    print(f"\n{module}: cpu {loaded['cpu_s']:.2f} s, wall {loaded['wall_s']:.2f} s")
    assert loaded["cpu_s"] < MAX_IMPORT_CPU_S
    assert list(tmp_path.iterdir()) == []
