"""`cadence-dbt`: dbt's own command line, in a process that dies with the one that started it.

dagster-dbt runs dbt as a subprocess. When `cadence run` is killed (kill -9, or SIGTERM before Dagster
can forward it), a plain `dbt` child would keep running and keep writing to the warehouse (issue 18,
item 10). On Linux, prctl(PR_SET_PDEATHSIG) asks the kernel to send this process SIGTERM when its
parent dies (man 2 prctl); it survives the exec-free call into dbt below. Elsewhere it is plain dbt.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """Ask for SIGTERM when the parent process dies; exit at once if it already has."""
    parent = os.getppid()
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect: nobody waits for dbt
        sys.exit(143)


def main() -> None:
    die_with_parent()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
