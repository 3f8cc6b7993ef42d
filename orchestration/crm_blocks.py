"""Each CRM stands alone (issue 18 item 5): what blocked one CRM's writeback in a run, and why.

A sync that fails, or a raw quality check that blocks, stops only its own CRM: the step records the
block here (per run) instead of failing in a way Dagster would propagate to the shared dbt build and
to the other CRM's writeback. That CRM's writeback step then fails with the one-line reason, so the run
fails, names the CRM, and the other CRM still gets its tasks.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.errors import CadenceError
from ingest.tables import table_exists
from ingest.warehouse import WarehouseArg, connect, exists

TABLE = "cadence_ops.crm_blocks"
SYNC_FAILED = "sync failed"  # the stage a failed sync records


class CrmBlockedError(CadenceError):
    """A CRM's writeback did not run: its sync failed or its raw data failed the quality gate."""


def block_crm(warehouse: WarehouseArg, run_id: str, crm: str, stage: str, reason: str) -> None:
    """Record that `stage` blocked `crm`'s writeback in this run (only the first line of `reason`)."""
    with connect(warehouse) as con:
        con.execute("create schema if not exists cadence_ops")
        con.execute(
            f"create table if not exists {TABLE} (run_id varchar, crm varchar, stage varchar, "
            "reason varchar, blocked_at timestamptz default current_timestamp)"
        )
        first_line = reason.strip().splitlines()[0] if reason.strip() else stage
        con.execute(f"insert into {TABLE} (run_id, crm, stage, reason) values (?, ?, ?, ?)",
                    [run_id, crm, stage, first_line])  # fmt: skip


def blocks(warehouse: WarehouseArg, run_id: str, crm: str) -> list[tuple[str, str]]:
    """(stage, reason) of every block of `crm` in this run, oldest first."""
    if not exists(warehouse):
        return []
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, TABLE):
            return []
        return [
            (stage, reason)
            for stage, reason in con.execute(
                f"select stage, reason from {TABLE} where run_id = ? and crm = ? order by blocked_at",
                [run_id, crm],
            ).fetchall()
        ]


def raise_if_blocked(warehouse: WarehouseArg, run_id: str, crm: str) -> None:
    """Fail the CRM's writeback step with the first thing that blocked it in this run."""
    found = blocks(warehouse, run_id, crm)
    if found:
        stage, reason = found[0]
        raise CrmBlockedError(f"{crm} writeback blocked ({stage}): {reason}")


def raise_if_nothing_synced(warehouse: WarehouseArg, run_id: str, crms: Sequence[str]) -> None:
    """Stop the dbt build when every audited CRM's sync failed tonight: no raw layer changed, so a build
    would only restate last night's data as of tonight (and queue tasks from a raw layer that has not
    seen last night's writes). The marts keep the last good night's build until a sync succeeds."""
    failed = {crm: [r for stage, r in blocks(warehouse, run_id, crm) if stage == SYNC_FAILED] for crm in crms}
    if crms and all(failed.values()):
        crm = crms[0]
        raise CrmBlockedError(
            f"{crm} writeback blocked ({SYNC_FAILED}; marts not rebuilt, no CRM synced): {failed[crm][0]}"
        )
