"""Date guards (issue 18 item 6): a wrong as-of must not nag or un-nag everyone.

- Backdate: an as-of earlier than a CRM's last successful writeback's is refused unless
  `--allow-backdate`; such a run then writes nothing to the CRM: its marts judge by an older day, so
  a task it would close (an account overdue today, not yet then) is still due, and a task it would
  create can be one today's rules do not want (a visit now planned within the grace period was not
  then). The marts and the report are rebuilt as of that day; the next normal night acts.
- Queue ratio: a night whose creates far exceed the recent nights' (Rules.queue_ratio_*) stops before
  any write, like the volume guard (`check_queue_size`), unless `--allow-queue-jump`.

Every successful writeback of a CRM (not a dry run, not backdated) is recorded in
`cadence_ops.writeback_nights`: its as-of and what it created and closed. That table is the history
both guards read; the quality baseline (`cadence_ops.quality_runs`, written after a fully successful
run) also counts for the as-of, so a warehouse that ran before this table existed is guarded from
its first night. A run dated more than a day after the day it ran sets no as-of bar.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from expectations.history import BASELINE_TABLE
from ingest.errors import CadenceError, UsageError
from ingest.tables import table_exists
from ingest.warehouse import WarehouseArg, connect, exists
from orchestration.rules import Rules
from orchestration.writeback.actions import TaskAction

TABLE = "cadence_ops.writeback_nights"

_DDL = f"""
create schema if not exists cadence_ops;
create table if not exists {TABLE} (
    run_id varchar not null,
    crm varchar not null,
    as_of date not null,
    created bigint not null,
    closed bigint not null,
    recorded_at timestamptz not null
);
"""


class BackdateError(UsageError):
    """The as-of is before a CRM's last successful run's, and the run did not allow it."""


class QueueJumpError(CadenceError):
    """Tonight's creates are far above the recent nights': stopped before any write."""



def last_as_of(warehouse: WarehouseArg, crm: str) -> date | None:
    """The as-of of `crm`'s last successful writeback (None before the first)."""
    if not exists(warehouse):
        return None
    with connect(warehouse, read_only=True) as con:
        sources = [t for t in (TABLE, BASELINE_TABLE) if table_exists(con, t)]
        if not sources:
            return None
        # A run dated after the day it ran (a what-if, or a mistyped year) sets no bar: the next real
        # night must be able to close what it wrongly opened.
        union = " union all ".join(
            f"select as_of from {t} where crm = ? and as_of <= cast(recorded_at as date) + 1" for t in sources
        )
        row = con.execute(f"select max(as_of) from ({union}) as_ofs", [crm] * len(sources)).fetchone()
    return row[0] if row else None


def backdated_crms(warehouse: WarehouseArg, crms: Iterable[str], as_of: date) -> dict[str, date]:
    """The CRMs whose last successful run had a later as-of than `as_of`, with that as-of."""
    found = {crm: last_as_of(warehouse, crm) for crm in crms}
    return {crm: last for crm, last in found.items() if last is not None and as_of < last}


def check_backdate(warehouse: WarehouseArg, crms: Iterable[str], as_of: date, allow_backdate: bool) -> None:
    """BackdateError (one line, exit 2) for an as-of before a CRM's last successful run's."""
    if allow_backdate:
        return
    later = backdated_crms(warehouse, crms, as_of)
    if later:
        runs = ", ".join(f"{crm}'s last run was as of {last}" for crm, last in sorted(later.items()))
        raise BackdateError(
            f"--as-of {as_of} is before the last successful run ({runs}): a backdated run would judge "
            "tonight's tasks by an older day; drop --as-of, or rerun with --allow-backdate (it then "
            "rebuilds the marts and writes no task)"
        )


def recent_creates(warehouse: WarehouseArg, crm: str, nights: int) -> list[int]:
    """What `crm`'s last `nights` successful writebacks created, latest first."""
    if not exists(warehouse):
        return []
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, TABLE):
            return []
        rows = con.execute(
            f"select created from {TABLE} where crm = ? order by recorded_at desc limit ?", [crm, nights]
        ).fetchall()
    return [int(row[0]) for row in rows]


def check_queue_ratio(crm: str, creates: int, history: Sequence[int], rules: Rules) -> None:
    """QueueJumpError when tonight's creates exceed the ratio of the recent nights' median and the
    absolute floor. No history (the first night): not guarded."""
    if not history or creates <= rules.queue_ratio_min_creates:
        return
    median = statistics.median(history)
    if creates > rules.queue_ratio_max * median:
        raise QueueJumpError(
            f"{crm} writeback stopped before any write: {creates} task creates are more than "
            f"queue_ratio_max={rules.queue_ratio_max:g} x the median {median:g} of the last {len(history)} "
            "nights' creates; check the as-of date and the sync (a far as-of or a truncated sync nags "
            "everyone) or, if the change is real, rerun with --allow-queue-jump"
        )


def guarded_queue(
    warehouse: WarehouseArg,
    crm: str,
    queue: Sequence[TaskAction],
    as_of: date,
    rules: Rules,
    allow_backdate: bool = False,
    allow_queue_jump: bool = False,
) -> tuple[list[TaskAction], bool]:
    """The queue the writeback may act on, and whether the run is backdated (then nothing is).

    Raises BackdateError / QueueJumpError before any write, like `check_queue_size`."""
    check_backdate(warehouse, [crm], as_of, allow_backdate)
    backdated = bool(backdated_crms(warehouse, [crm], as_of))
    if backdated:
        return [], True
    actions = list(queue)
    if not allow_queue_jump:
        creates = sum(1 for a in actions if a.action == "create")
        check_queue_ratio(crm, creates, recent_creates(warehouse, crm, rules.queue_ratio_nights), rules)
    return actions, False


def record_night(
    warehouse: WarehouseArg, run_id: str, crm: str, as_of: date, created: int, closed: int
) -> None:
    """Record one CRM's successful writeback: the history of both guards (a serial step's write)."""
    with connect(warehouse) as con:
        con.execute(_DDL)
        con.execute(
            f"insert into {TABLE} values (?, ?, ?, ?, ?, ?)",
            [run_id, crm, as_of, created, closed, datetime.now(UTC)],
        )
