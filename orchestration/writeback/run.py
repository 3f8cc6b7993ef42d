"""The writeback algorithm, the same for every CRM: guard, reconcile, batch, record.

A create is never sent twice blindly. A writer whose creates are idempotent (Salesforce upsert by the
External ID key) lets the HTTP layer resend them; otherwise a create batch whose answer was lost
(`AnswerLost`: the connection dropped after sending) is settled by looking its keys up in the CRM, and
only the keys not found are sent again.

The ledger converges to the CRM: a create it holds as done but whose task no completed sync brought
into the raw layer is looked up by key (`verify_unsynced`) and created again only if the CRM lacks it;
a create no sync could have seen yet (a writeback-only rerun) is held back (`suppressed`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ingest.errors import CadenceError, CrmUnreachableError
from ingest.http import AnswerLost
from orchestration.writeback.ledger import Ledger, LedgerEntry

# Create batches in a row whose answer is lost before the run gives up (the next run reconciles them).
MAX_LOST_ANSWERS = 3


@dataclass(frozen=True)
class WriteOutcome:
    task_key: str
    crm_task_id: str | None
    ok: bool
    error: str | None = None
    found: bool = False  # a create the CRM already held (found by key after a lost answer, or upserted)


class WriteAction(Protocol):
    """What the algorithm reads of an action: a task's (actions.TaskAction) or a prospect account's
    (orchestration/prospects/selection.ProspectAction), both ledgered by `task_key`."""

    @property
    def task_key(self) -> str: ...
    @property
    def action(self) -> str: ...  # "create" | "close"
    @property
    def crm_account_id(self) -> str | None: ...
    @property
    def crm_task_id(self) -> str | None: ...
    @property
    def is_duplicate(self) -> bool: ...


class TaskWriter(Protocol):
    """One CRM's task API. Calls are batched; each returns one outcome per action, in order."""

    crm: str
    batch_size: int

    def create(self, batch: Sequence[WriteAction]) -> list[WriteOutcome]: ...

    def close(self, batch: Sequence[WriteAction]) -> list[WriteOutcome]: ...

    def find_tasks_by_key(self, task_keys: Sequence[str]) -> dict[str, str]:
        """task_key -> CRM task id, for tasks the pipeline wrote with these keys."""
        ...


class RunawayWritebackError(CadenceError):
    pass


@dataclass
class WritebackSummary:
    crm: str
    dry_run: bool
    planned_creates: int = 0
    planned_closes: int = 0
    created: int = 0
    closed: int = 0
    failed: int = 0
    reconciled: int = 0  # creates the ledger could not settle, found in the CRM by key: not resent
    suppressed: int = 0  # creates held back: written since the last sync, which cannot have seen them
    recreated: int = 0  # of `created`: creates the ledger held as done that the CRM turned out to lack
    recovered: int = 0  # creates whose answer was lost, found in the CRM: settled as created, not resent
    healed: int = 0  # duplicate open tasks (same key) closed, the oldest kept
    write_calls: int = 0
    errors: list[str] = field(default_factory=list)


def _batches(actions: Sequence[WriteAction], size: int) -> Iterator[Sequence[WriteAction]]:
    for start in range(0, len(actions), size):
        yield actions[start : start + size]


def check_queue_size(crm: str, queue: Sequence[WriteAction], max_tasks_per_run: int) -> None:
    if len(queue) > max_tasks_per_run:
        raise RunawayWritebackError(
            f"{crm} writeback stopped before any write: {len(queue)} task actions exceed "
            f"max_tasks_per_run={max_tasks_per_run}; check the sync (a truncated one nags everyone) or, "
            "if the change is real, rerun with --max-tasks-per-run N"
        )


def reconcile_unsettled(writer: TaskWriter, ledger: Ledger) -> int:
    """Settle creates an earlier run sent without hearing back: did the CRM make those tasks?"""
    keys = ledger.unsettled_creates()
    found: dict[str, str] = {}
    for start in range(0, len(keys), writer.batch_size):
        found.update(writer.find_tasks_by_key(keys[start : start + writer.batch_size]))
    ledger.record(
        LedgerEntry(
            key,
            "create",
            None,
            found.get(key),
            "reconciled" if key in found else "failed",
            None if key in found else "not found in the CRM after an interrupted run",
        )
        for key in keys
    )
    return len(found)


def write_back(
    writer: TaskWriter,
    queue: Sequence[WriteAction],
    ledger: Ledger,
    max_tasks_per_run: int,
    dry_run: bool = False,
) -> WritebackSummary:
    check_queue_size(writer.crm, queue, max_tasks_per_run)
    summary = WritebackSummary(crm=writer.crm, dry_run=dry_run)
    if not dry_run:
        summary.reconciled = reconcile_unsettled(writer, ledger)
    creates, closes, recreating = _plan(writer, queue, ledger, summary)
    summary.planned_creates, summary.planned_closes = len(creates), len(closes)
    if dry_run:
        ledger.record(_entry(a, a.crm_task_id, "dry_run") for a in [*creates, *closes])
        return summary
    for batch in _batches(creates, writer.batch_size):
        ledger.record(_entry(a, a.crm_task_id, "pending") for a in batch)  # write-ahead
        _settle(ledger, summary, "create", batch, _create(writer, batch, summary), recreating)
    for batch in _batches(closes, writer.batch_size):
        ledger.record(_entry(a, a.crm_task_id, "pending") for a in batch)
        summary.write_calls += 1
        _settle(ledger, summary, "close", batch, writer.close(batch))
    return summary


def _plan(
    writer: TaskWriter, queue: Sequence[WriteAction], ledger: Ledger, summary: WritebackSummary
) -> tuple[list[WriteAction], list[WriteAction], set[str]]:
    """The creates to send (held-back and CRM-held keys left out), the closes, and the creates that
    re-make a task the ledger held as done but the CRM lacks."""
    unsynced = ledger.unsynced_creates()
    creates = [a for a in queue if a.action == "create" and a.task_key not in unsynced.suppressed]
    summary.suppressed = sum(a.action == "create" for a in queue) - len(creates)
    if not summary.dry_run:  # a dry run plans them as creates: it asks the CRM nothing
        held = verify_unsynced(writer, ledger, [a for a in creates if a.task_key in unsynced.to_verify])
        summary.reconciled += len(held)
        creates = [a for a in creates if a.task_key not in held]
    recreating = {a.task_key for a in creates if a.task_key in unsynced.to_verify}
    return creates, [a for a in queue if a.action == "close"], recreating


def verify_unsynced(writer: TaskWriter, ledger: Ledger, actions: Sequence[WriteAction]) -> set[str]:
    """Look up creates a completed sync should have brought in; the keys the CRM holds (not resent).

    A found task is ledgered `reconciled` again (with its id): the next sync gets another chance to see
    it before it is asked about again. A key not found is left to be created again.
    """
    found: dict[str, str] = {}
    for batch in _batches(actions, writer.batch_size):
        found.update(writer.find_tasks_by_key([a.task_key for a in batch]))
    ledger.record(_entry(a, found[a.task_key], "reconciled") for a in actions if a.task_key in found)
    return set(found)


def _create(
    writer: TaskWriter, batch: Sequence[WriteAction], summary: WritebackSummary
) -> list[WriteOutcome]:
    """Create a batch; after a lost answer the CRM's tasks settle it and only the missing are resent."""
    settled: dict[str, WriteOutcome] = {}
    missing = list(batch)
    for lost_in_a_row in range(MAX_LOST_ANSWERS + 1):
        summary.write_calls += 1
        try:
            settled.update((outcome.task_key, outcome) for outcome in writer.create(missing))
            break
        except AnswerLost as lost:
            if lost_in_a_row == MAX_LOST_ANSWERS:
                raise _gave_up(writer.crm, lost) from lost
            found = writer.find_tasks_by_key([a.task_key for a in missing])
            settled.update((key, WriteOutcome(key, found[key], True, found=True)) for key in found)
            missing = [a for a in missing if a.task_key not in found]
            if not missing:
                break
    return [settled[action.task_key] for action in batch]


def _gave_up(crm: str, lost: AnswerLost) -> CrmUnreachableError:
    return CrmUnreachableError(
        f"{crm} writeback stopped: {MAX_LOST_ANSWERS + 1} create calls in a row lost their answer "
        f"({lost}); the next run looks those tasks up before writing: check the network or proxy between "
        "this host and the CRM"
    )


def _settle(
    ledger: Ledger,
    summary: WritebackSummary,
    action_name: str,
    batch: Sequence[WriteAction],
    outcomes: Sequence[WriteOutcome],
    recreating: set[str] | frozenset[str] = frozenset(),
) -> None:
    done = "created" if action_name == "create" else "closed"
    entries = []
    for action, outcome in zip(batch, outcomes, strict=True):
        entries.append(_entry(action, outcome.crm_task_id, done if outcome.ok else "failed", outcome.error))
        if outcome.ok:
            setattr(summary, done, getattr(summary, done) + 1)
            summary.recovered += int(outcome.found)
            summary.healed += int(action.is_duplicate)
            summary.recreated += int(action.task_key in recreating)
        else:
            summary.failed += 1
            summary.errors.append(f"{action.task_key}: {outcome.error}")
    ledger.record(entries)


def _entry(
    action: WriteAction, crm_task_id: str | None, outcome: str, error: str | None = None
) -> LedgerEntry:
    return LedgerEntry(action.task_key, action.action, action.crm_account_id, crm_task_id, outcome, error)
