"""A warehouse another process holds open stops the run at once, one line naming it (issue 16).

DuckDB lets one process write a file, or several read it and none write: a BI tool holding the
warehouse, even read-only, would otherwise fail the run at its first write, after the night's sync.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tests.orchestration.test_input_errors import _cadence, _one_line, _org

ORG = {"salesforce": {"Account": [{"Id": "001000000000001AAA", "Name": "Mercy General", "Type": "Prospect"}]}}
HOLD_OPEN = (  # a BI-style reader: holds a read-only connection until killed
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
    "print('held', flush=True); time.sleep(300)"
)


@contextmanager
def held_open(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    """A BI-style reader in another process holding `warehouse` open read-only until the block ends."""
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "held\n"
        yield reader
    finally:
        reader.kill()
        reader.wait()


def lock_message(warehouse: Path, pid: int) -> str:
    """The one line a run refuses with while `pid` holds the file."""
    program = Path(sys.executable).resolve()  # DuckDB names the holder by its executable's real path
    return (
        f"warehouse {warehouse} is open in another process ({program}, PID {pid}): close it "
        "(a BI tool, notebook or `duckdb` shell holding the file) and run again"
    )


def test_a_warehouse_held_open_by_a_reader_stops_the_demo_before_any_sync(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table kept as select 42 as answer")
    org = _org(tmp_path, ORG)
    org_before = org.read_bytes()
    with held_open(warehouse) as reader:
        started = time.monotonic()
        line = _one_line(_cadence(tmp_path, "demo", "--org", str(org), "--warehouse", str(warehouse)))
        elapsed = time.monotonic() - started
    assert line == lock_message(warehouse, reader.pid)
    assert org.read_bytes() == org_before  # nothing written to the CRM
    with duckdb.connect(str(warehouse), read_only=True) as con:  # nothing synced: only the table it had
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    assert tables == [("main", "kept")]
    print(f"refused in {elapsed:.1f} s")
