"""Killing the run stops dbt too (issue 18, item 10): dbt is a subprocess of `cadence`, and a kill -9
or SIGTERM of `cadence demo` while dbt builds must not leave dbt writing to the warehouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from ingest.sandbox.generator import generate_org

CADENCE = Path(sys.executable).with_name("cadence")


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append((int(entry.name), cmdline))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has stopped; only its parent's wait() is missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_dbt_stops_when_the_run_is_killed(tmp_path: Path, kill: signal.Signals) -> None:
    document = generate_org(accounts=30, seed=7, junk=False)  # clean: the raw gate lets dbt run
    document["salesforce"]["_profile"] = "realistic"
    document["hubspot"]["_behaviour"] = {"profile": "realistic"}
    org = tmp_path / "org.json"
    org.write_bytes(orjson.dumps(document))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE"))}
    run = subprocess.Popen(
        [str(CADENCE), "demo", "--org", str(org), "--warehouse", str(tmp_path / "w.duckdb")],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        dbt = _wait_for_dbt_build(run.pid, timeout=300)
        run.send_signal(kill)
        run.wait(timeout=60)
        deadline = time.monotonic() + 20
        while _alive(dbt) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(dbt), f"dbt (pid {dbt}) kept running after {kill.name} of cadence"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def _wait_for_dbt_build(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        builds = [child for child, cmdline in _children(pid) if "dbt" in cmdline and " build" in cmdline]
        if builds:
            return builds[0]
        time.sleep(0.2)
    raise AssertionError(f"cadence demo started no dbt build within {timeout:.0f} s")
