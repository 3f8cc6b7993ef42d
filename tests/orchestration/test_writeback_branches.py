"""write_back's lost-answer and healing branches against a scripted TaskWriter (no CRM: the e2e tests in
test_writeback_lost_answers.py run the same branches over real HTTP); the ledger is a real DuckDB."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb
import pytest

from ingest.errors import CrmUnreachableError
from ingest.http import AnswerLost
from orchestration.writeback.actions import TaskAction
from orchestration.writeback.ledger import TABLE, Ledger
from orchestration.writeback.run import MAX_LOST_ANSWERS, WriteOutcome, write_back

LOST = AnswerLost("fake POST: connection failed (ConnectionError) after the request was sent")


def _create(n: int) -> TaskAction:
    account = f"A{n}"
    return TaskAction(
        f"hubspot:{account}:2026-10-01", "create", "hubspot", account, f"hubspot:{account}", "u",
        "Overdue visit", date(2026, 11, 27), 10, "Normal", None,
    )  # fmt: skip


def _close(n: int, task_id: str, duplicate: bool) -> TaskAction:
    return replace(_create(n), action="close", crm_task_id=task_id, is_duplicate=duplicate)


@dataclass
class ScriptedWriter:
    """Applies every create it is sent; the first `lose` create calls lose their answer after applying."""

    lose: int = 0
    crm: str = "hubspot"  # a CRM the ledger knows; no raw tables here
    batch_size: int = 3
    tasks: dict[str, str] = field(default_factory=dict)  # key -> id: what the "CRM" holds
    sent: list[list[str]] = field(default_factory=list)  # the keys of each create call
    looked_up: list[list[str]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        self.sent.append([a.task_key for a in batch])
        for action in batch:
            self.tasks[action.task_key] = f"T{len(self.tasks) + 1}"
        if len(self.sent) <= self.lose:
            raise LOST
        return [WriteOutcome(a.task_key, self.tasks[a.task_key], True) for a in batch]

    def close(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        self.closed += [a.crm_task_id or "" for a in batch]
        return [WriteOutcome(a.task_key, a.crm_task_id, True) for a in batch]

    def find_tasks_by_key(self, task_keys: Sequence[str]) -> dict[str, str]:
        self.looked_up.append(list(task_keys))
        return {key: self.tasks[key] for key in task_keys if key in self.tasks}


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    ledger = Ledger(duckdb.connect(":memory:"), "run-1", "hubspot")
    yield ledger
    ledger.close()


def _latest(ledger: Ledger) -> dict[str, tuple[str, str | None]]:
    rows = ledger.con.execute(
        f"select task_key, outcome, crm_task_id from ({ledger._latest()}) where action = 'create'",
        ["hubspot"],
    ).fetchall()
    return {key: (outcome, task_id) for key, outcome, task_id in rows}


def test_a_lost_answer_is_settled_by_the_lookup_and_nothing_is_resent(ledger: Ledger) -> None:
    writer = ScriptedWriter(lose=1)
    summary = write_back(writer, [_create(n) for n in range(5)], ledger, max_tasks_per_run=10)
    keys = [_create(n).task_key for n in range(5)]
    # Batch 1 (3 keys) lost its answer: looked up, all found, not sent again; batch 2 went through.
    assert writer.sent == [keys[:3], keys[3:]]
    assert writer.looked_up == [keys[:3]]
    assert (summary.created, summary.recovered, summary.failed, summary.write_calls) == (5, 3, 0, 2)
    assert _latest(ledger) == {key: ("created", f"T{i + 1}") for i, key in enumerate(keys)}


def test_only_the_keys_the_crm_lacks_are_sent_again(ledger: Ledger) -> None:
    class HalfApplied(ScriptedWriter):
        """The lost call applied only its first task (a CRM that stopped mid-batch)."""

        def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
            if self.sent:
                return super().create(batch)
            self.sent.append([a.task_key for a in batch])
            self.tasks[batch[0].task_key] = "T1"
            raise LOST

    writer = HalfApplied()
    keys = [_create(n).task_key for n in range(3)]
    summary = write_back(writer, [_create(n) for n in range(3)], ledger, max_tasks_per_run=10)
    assert writer.sent == [keys, keys[1:]]
    assert (summary.created, summary.recovered, summary.write_calls) == (3, 1, 2)
    assert _latest(ledger) == {keys[0]: ("created", "T1"), keys[1]: ("created", "T2"),
                               keys[2]: ("created", "T3")}  # fmt: skip


def test_answers_lost_again_and_again_stop_the_run_with_the_batch_pending(ledger: Ledger) -> None:
    class NeverAnswers(ScriptedWriter):
        def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
            self.sent.append([a.task_key for a in batch])
            raise LOST  # and applies nothing: the lookup finds nothing each time

    writer = NeverAnswers()
    with pytest.raises(CrmUnreachableError) as stopped:
        write_back(writer, [_create(0)], ledger, max_tasks_per_run=10)
    message = str(stopped.value)
    assert "\n" not in message and "4 create calls in a row lost their answer" in message
    assert "check the network or proxy" in message
    assert len(writer.sent) == MAX_LOST_ANSWERS + 1 == len(writer.looked_up) + 1
    assert _latest(ledger) == {_create(0).task_key: ("pending", None)}  # the next run reconciles it


def test_duplicate_closes_are_counted_as_healed(ledger: Ledger) -> None:
    writer = ScriptedWriter()
    queue = [
        _close(1, "T9", duplicate=True),
        _close(2, "T8", duplicate=False),
        _close(3, "T7", duplicate=True),
    ]
    summary = write_back(writer, queue, ledger, max_tasks_per_run=10)
    assert writer.closed == ["T9", "T8", "T7"]
    assert (summary.closed, summary.healed, summary.created) == (3, 2, 0)
    outcomes = ledger.con.execute(f"select outcome, count(*) from {TABLE} group by 1 order by 1").fetchall()
    assert outcomes == [("closed", 3), ("pending", 3)]
