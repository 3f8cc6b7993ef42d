"""`cadence-dbt`: dbt's own command line, in a process that dies with the one that started it.

dagster-dbt runs dbt as a subprocess. When `cadence run` is killed (kill -9, or SIGTERM before Dagster
can forward it), a plain `dbt` child would keep running and keep writing to the warehouse (issue 18,
item 10). On Linux, prctl(PR_SET_PDEATHSIG) asks the kernel to send this process SIGTERM when its
parent dies (man 2 prctl); it survives the exec-free call into dbt below. Elsewhere it is plain dbt.

It runs dbt in the warehouse's folder (FOLDER_ENV, set by orchestration/dbt_runner.py), where the
profile's relative path finds the warehouse; dagster-dbt names the project and profiles folders in
DBT_PROJECT_DIR / DBT_PROFILES_DIR, so dbt does not need its working directory to find them.

A first night in a new folder (the demo's, each test's) need not parse the project in full: dagster-dbt
copies `<DBT_TARGET_PATH of its own process>/partial_parse.msgpack` into a target that has no cache
before dbt starts (dagster_dbt/core/dbt_cli_invocation.py, `DbtCliInvocation.run`), and the runner
points that at the seed folder of the call's profile and vars (orchestration/dbt_runner.py
`parse_seed`). This process publishes what dbt leaves: a cache newer than the seed becomes the seed
(PARSE_SEED_ENV). dbt decides whether a copy holds, as it does for its own: the dbt version, vars,
profile and project must match, and each file's checksum (docs.getdbt.com/reference/parsing, "Partial
parsing"; dbt-core parser/manifest.py `is_partial_parsable`), else it parses in full as it would have.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FOLDER_ENV = "CADENCE_DBT_FOLDER"  # the folder dbt runs in: the warehouse's
PARSE_SEED_ENV = "CADENCE_DBT_PARSE_SEED"  # the seed folder this run publishes to (module doc)
PARTIAL_PARSE_FILE = "partial_parse.msgpack"  # dbt-core parser/manifest.py PARTIAL_PARSE_FILE_NAME
SEEDS_KEPT = 8  # seed folders of other profiles / vars kept beside a new one (≈ 1.4 MB each)
# ...and only those published a day ago or more are removed: a seed in use (parallel runs, the tests'
# workers) may be being copied by dagster-dbt, which fails the dbt call if the file vanishes mid-way.
SEED_IDLE_SECONDS = 24 * 3600


def die_with_parent() -> None:
    """Ask for SIGTERM when the parent process dies; exit at once if it already has."""
    parent = os.getppid()
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect: nobody waits for dbt
        sys.exit(143)


def enter_warehouse_folder() -> None:
    """Run dbt in the warehouse's folder; the project and profiles folders stay the ones dbt would
    have found in the working directory it was started in (dbt reads DBT_PROJECT_DIR/DBT_PROFILES_DIR,
    docs.getdbt.com/reference/global-configs/about-global-configs)."""
    folder = os.environ.pop(FOLDER_ENV, None)
    if not folder:
        return
    os.environ.setdefault("DBT_PROJECT_DIR", os.getcwd())
    os.environ.setdefault("DBT_PROFILES_DIR", os.getcwd())
    os.makedirs(folder, exist_ok=True)  # a first night's parse may come before the warehouse exists
    os.chdir(folder)


def share_partial_parse(seed_folder: Path, target: Path) -> None:
    """Make `target`'s partial-parse cache the seed folder's when it is newer (this run parsed
    something), keeping the SEEDS_KEPT most recent seed folders beside it."""
    cache, seed = target / PARTIAL_PARSE_FILE, seed_folder / PARTIAL_PARSE_FILE
    try:
        if not cache.exists() or (seed.exists() and seed.stat().st_mtime_ns >= cache.stat().st_mtime_ns):
            return
        seed_folder.mkdir(parents=True, exist_ok=True)
        _copy_whole(cache, seed)
        seeds = sorted(seed_folder.parent.glob(f"*/{PARTIAL_PARSE_FILE}"), key=lambda p: p.stat().st_mtime_ns)
        for stale in seeds[:-SEEDS_KEPT]:
            if stale.stat().st_mtime < time.time() - SEED_IDLE_SECONDS:
                shutil.rmtree(stale.parent, ignore_errors=True)
    except OSError:  # a cache is an optimisation: dbt parses in full without it
        pass


def _copy_whole(source: Path, destination: Path) -> None:
    """Copy (with its modification time) so that a reader sees the whole file or none: parallel
    runs share the seed."""
    partial = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copy2(source, partial)
    os.replace(partial, destination)


def main() -> None:
    die_with_parent()
    seed = os.environ.pop(PARSE_SEED_ENV, None)
    target = Path(os.environ.get("DBT_TARGET_PATH", "target")).resolve()  # before the folder changes
    enter_warehouse_folder()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    try:
        sys.exit(cli())
    finally:
        if seed:
            share_partial_parse(Path(seed), target)


if __name__ == "__main__":
    main()
