"""The measured steps. Each runs in a fresh child process (`in_child`), so its peak memory is its own.

Every step returns `Measured`: wall time of the work itself (imports excluded), the rows it moved and
details; `in_child` adds the child's peak resident memory.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ingest.sandbox_settings import hubspot_config, salesforce_config
from ingest.warehouse import WarehouseArg
from orchestration.bench.sandbox_process import SandboxEndpoints


@dataclass
class Measured:
    wall_s: float
    rows: int
    details: dict[str, Any] = field(default_factory=dict)
    peak_mb: float = 0.0


def in_child(step: Callable[..., Measured], *args: Any) -> Measured:
    """Run `step(*args)` in a new process (spawned: it inherits no memory) and return its result."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_with_peak, args=(theirs, step, *args), name=f"bench-{step.__name__}")
    child.start()
    theirs.close()
    try:
        answer = ours.recv()
    except EOFError:
        answer = RuntimeError(f"step {step.__name__} died (exit code {child.join() or child.exitcode})")
    child.join()
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _with_peak(conn: Connection, step: Callable[..., Measured], *args: Any) -> None:
    try:
        measured = step(*args)
        measured.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        conn.send(measured)
    except BaseException as error:  # the parent raises it
        traceback.print_exc()
        conn.send(RuntimeError(f"{step.__name__} failed: {type(error).__name__}: {error}"))


def _config(endpoints: SandboxEndpoints, crm: str) -> Any:
    return salesforce_config(endpoints) if crm == "salesforce" else hubspot_config(endpoints)


# ---- ingest ------------------------------------------------------------------------------------
def sync(endpoints: SandboxEndpoints, crm: str, warehouse: WarehouseArg, as_of: date) -> Measured:
    """Our ingest (full on a fresh warehouse, incremental after), as the nightly job of `as_of` runs it."""
    # The public ingest API only: the "nightly job" rows (`nightly`) run the Dagster job itself.
    if crm == "salesforce":
        from ingest.salesforce import sync_salesforce

        result = sync_salesforce(_config(endpoints, crm), warehouse)
    else:
        from ingest.hubspot import sync_hubspot

        result = sync_hubspot(_config(endpoints, crm), warehouse, reread_meetings_since=reread_since(as_of))
    return Measured(
        result.seconds, sum(result.rows_by_table.values()), {"rows_by_table": result.rows_by_table}
    )


def reread_since(as_of: date) -> date:
    """The nightly job's association re-read window on the default rules (the bench has no cadence.yml)."""
    from ingest.hubspot.associations import meetings_reread_since
    from orchestration.rules import Rules

    return meetings_reread_since(as_of, Rules().visit_window_days())


def sync_per_record(endpoints: SandboxEndpoints, crm: str, warehouse: WarehouseArg) -> Measured:
    from orchestration.bench.baseline import sync_baseline

    result = sync_baseline(crm, _config(endpoints, crm), warehouse)
    return Measured(
        result.seconds, sum(result.rows_by_table.values()), {"rows_by_table": result.rows_by_table}
    )


def change_records(endpoints: SandboxEndpoints, ids: dict[str, dict[str, list[str]]]) -> Measured:
    """Touch the given records through each CRM's batch update API (their modstamps move forward)."""
    from ingest.hubspot.helpers import HubSpotClient
    from ingest.salesforce.helpers import connect

    started, changed = time.perf_counter(), 0
    if "salesforce" in ids:
        client = connect(salesforce_config(endpoints))
        for sobject, record_ids in ids["salesforce"].items():
            for batch in _chunks(record_ids, 200):
                records = [{"attributes": {"type": sobject}, "Id": record_id} for record_id in batch]
                body = {"allOrNone": True, "records": records}
                client.call(lambda sf, body=body: sf.restful("composite/sobjects", method="PATCH", json=body))
                changed += len(batch)
    if "hubspot" in ids:
        hubspot = HubSpotClient(hubspot_config(endpoints))
        for object_type, record_ids in ids["hubspot"].items():
            for batch in _chunks(record_ids, 100):
                inputs = [{"id": record_id, "properties": {}} for record_id in batch]
                hubspot.request(
                    "POST", f"/crm/v3/objects/{object_type}/batch/update", json={"inputs": inputs}
                )
                changed += len(batch)
    return Measured(time.perf_counter() - started, changed)


def _chunks(values: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


# ---- dbt ---------------------------------------------------------------------------------------
def dbt_build(warehouse: WarehouseArg, as_of: date, scratch: Path) -> Measured:
    from ingest.warehouse import connect
    from orchestration.dbt_runner import run_dbt

    started = time.perf_counter()
    result = run_dbt(["build", "--quiet"], warehouse, as_of=as_of, target_path=scratch / "target")
    wall = time.perf_counter() - started
    with connect(warehouse, read_only=True) as con:
        rows = raw_rows(con)
        queue = dict(
            con.execute("select crm, count(*) from marts.overdue_visit_tasks group by crm").fetchall()
        )
    nodes = len(result.get_artifact("run_results.json").get("results") or [])
    return Measured(wall, rows, {"nodes": nodes, "queue": queue})


def raw_rows(con: Any) -> int:
    """The rows of the raw layer (every raw_* schema): DuckDB's catalog estimate; PostgreSQL's
    statistics lag a fresh load, so there each table is counted."""
    if con.engine == "duckdb":
        row = con.execute(
            "select coalesce(sum(estimated_size), 0) from duckdb_tables() where schema_name like 'raw_%'"
        ).fetchone()
        return int(row[0] if row else 0)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_schema like 'raw\\_%'"
    ).fetchall()
    counts = [con.execute(f'select count(*) from {schema}."{name}"').fetchone() for schema, name in tables]
    return sum(int(found[0]) for found in counts if found)


# ---- writeback ---------------------------------------------------------------------------------
def _writer(endpoints: SandboxEndpoints, crm: str) -> Any:
    if crm == "salesforce":
        from ingest.salesforce.helpers import connect
        from orchestration.writeback.salesforce import SalesforceTaskWriter

        return SalesforceTaskWriter(connect(salesforce_config(endpoints)))
    from ingest.hubspot.helpers import HubSpotClient
    from orchestration.writeback.hubspot import HubSpotTaskWriter

    return HubSpotTaskWriter(HubSpotClient(hubspot_config(endpoints)))


def _write(
    endpoints: SandboxEndpoints, crm: str, queue: Sequence[Any], ledger_file: WarehouseArg, run_id: str
) -> Measured:
    from dataclasses import asdict

    from orchestration.writeback.ledger import Ledger
    from orchestration.writeback.run import write_back

    started = time.perf_counter()
    writer = _writer(endpoints, crm)
    ledger = Ledger.open(ledger_file, run_id, crm)
    try:
        summary = write_back(writer, queue, ledger, max_tasks_per_run=len(queue) + 1)
    finally:
        ledger.close()
    details = {k: v for k, v in asdict(summary).items() if k != "errors"}
    return Measured(time.perf_counter() - started, summary.created + summary.closed, details)


def write_queue(endpoints: SandboxEndpoints, crm: str, warehouse: WarehouseArg) -> Measured:
    """Write back the queue dbt built (marts.overdue_visit_tasks) for one CRM."""
    from orchestration.writeback.actions import read_queue

    started = time.perf_counter()
    queue = read_queue(warehouse, crm)
    measured = _write(endpoints, crm, queue, warehouse, "bench-queue")
    measured.wall_s = time.perf_counter() - started
    return measured


def write_forced(
    endpoints: SandboxEndpoints,
    crm: str,
    warehouse: WarehouseArg,
    ledger: WarehouseArg,
    tasks: int,
    as_of: date,
) -> Measured:
    """Create `tasks` tasks on existing accounts (several per account when there are fewer accounts),
    settled in `ledger`: an empty warehouse of its own, so the queue's ledger stays as its run left it."""
    queue = forced_queue(warehouse, crm, tasks, as_of)
    return _write(endpoints, crm, queue, ledger, "bench-forced")


_ACCOUNTS_SQL = {
    "salesforce": "select id, owner_id from raw_salesforce.account where not is_deleted order by id",
    "hubspot": "select id, hubspot_owner_id from raw_hubspot.companies where not archived order by id",
}


def forced_queue(warehouse: WarehouseArg, crm: str, tasks: int, as_of: date) -> list[Any]:
    from ingest.warehouse import connect
    from orchestration.writeback.actions import TaskAction

    with connect(warehouse, read_only=True) as con:
        accounts = con.execute(_ACCOUNTS_SQL[crm]).fetchall()
    actions = []
    for number in range(tasks):
        account_id, owner_id = accounts[number % len(accounts)]
        actions.append(
            TaskAction(
                task_key=f"{crm}:{account_id}:bench-{number}",
                action="create",
                crm=crm,
                crm_account_id=account_id,
                account_key=f"{crm}:{account_id}",
                owner_id=owner_id,
                subject="Benchmark: overdue visit",
                due_date=as_of + timedelta(days=1),
                days_overdue=1,
                priority="Normal",
                crm_task_id=None,
            )
        )
    return actions


# ---- the whole job -----------------------------------------------------------------------------
def nightly(
    endpoints: SandboxEndpoints, crms: Sequence[str], warehouse: WarehouseArg, as_of: date, max_tasks: int
) -> Measured:
    from orchestration.runtime import RunOptions, run_nightly_audit

    configs = {crm: _config(endpoints, crm) if crm in crms else None for crm in ("salesforce", "hubspot")}
    started = time.perf_counter()
    # The generated org holds junk on purpose (e.g. accounts without an owner), which the quality gate
    # rightly flags; the benchmark measures the whole job, so it lets the writeback proceed.
    options = RunOptions(
        warehouse=warehouse, as_of=as_of, max_tasks_per_run=max_tasks, override_quality_gate=True
    )
    summary = run_nightly_audit(configs, options)
    wall = time.perf_counter() - started
    if not summary.succeeded:
        raise RuntimeError(f"the nightly job failed: {summary.error}")
    details = {
        "rows_synced": summary.rows_synced,
        "overdue": summary.overdue_accounts,
        "created": {crm: wb.get("created", 0) for crm, wb in summary.writeback.items()},
        "step_seconds": summary.step_seconds,
    }
    return Measured(wall, sum(summary.rows_synced.values()), details)
