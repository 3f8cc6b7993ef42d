"""`cadence-dbt`: dbt's own command line, in a process that dies with the one that started it.

dagster-dbt runs dbt as a subprocess. When `cadence run` is killed (kill -9, or SIGTERM before Dagster
can forward it), a plain `dbt` child would keep running and keep writing to the warehouse (issue 18,
item 10). On Linux, prctl(PR_SET_PDEATHSIG) asks the kernel to send this process SIGTERM when its
parent dies (man 2 prctl); it survives the exec-free call into dbt below. Elsewhere it is plain dbt.

It runs dbt in the warehouse's folder (FOLDER_ENV, set by orchestration/dbt_runner.py), where the
profile's relative path finds the warehouse; dagster-dbt names the project and profiles folders in
DBT_PROJECT_DIR / DBT_PROFILES_DIR, so dbt does not need its working directory to find them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FOLDER_ENV = "CADENCE_DBT_FOLDER"  # the folder dbt runs in: the warehouse's


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


def main() -> None:
    die_with_parent()
    enter_warehouse_folder()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
