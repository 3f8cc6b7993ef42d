"""The writeback algorithm (orchestration/writeback/run.py) and its ledger, with a fake TaskWriter.

`write_back` is CRM-independent: guard, reconcile, batch, record. The fake writer keeps its tasks in a
dict and can lose the answer of its next create calls after applying them (a connection dropped after
the request was sent), which is what `AnswerLost` means. The ledger is the real one on in-memory DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import duckdb
import pytest

from ingest.errors import CrmUnreachableError
from ingest.http import AnswerLost
from orchestration.writeback.actions import TaskAction
from orchestration.writeback.ledger import TABLE, Ledger
from orchestration.writeback.run import (
    MAX_LOST_ANSWERS,
    RunawayWritebackError,
    WriteOutcome,
    reconcile_unsettled,
    write_back,
)

Connection = duckdb.DuckDBPyConnection


@dataclass
class FakeWriter:
    crm: str = "salesforce"
    batch_size: int = 2
    tasks: dict[str, str] = field(default_factory=dict)  # task_key -> task id, as the CRM holds them
    closed: list[str] = field(default_factory=list)
    lose_next: int = 0  # create calls whose answer is lost after the CRM applied them
    refuse: frozenset[str] = frozenset()  # keys the CRM rejects (validation error)
    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    def create(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        self.calls.append(("create", [a.task_key for a in batch]))
        outcomes = []
        for action in batch:
            if action.task_key in self.refuse:
                outcomes.append(WriteOutcome(action.task_key, None, False, "FIELD_CUSTOM_VALIDATION"))
                continue
            self.tasks.setdefault(action.task_key, f"00T{len(self.tasks):03d}")
            outcomes.append(WriteOutcome(action.task_key, self.tasks[action.task_key], True))
        if self.lose_next:
            self.lose_next -= 1
            raise AnswerLost("connection reset after the request was sent")
        return outcomes

    def close(self, batch: Sequence[TaskAction]) -> list[WriteOutcome]:
        self.calls.append(("close", [a.task_key for a in batch]))
        self.closed += [a.crm_task_id or "" for a in batch]
        return [WriteOutcome(a.task_key, a.crm_task_id, True) for a in batch]

    def find_tasks_by_key(self, task_keys: Sequence[str]) -> dict[str, str]:
        self.calls.append(("find", list(task_keys)))
        return {key: self.tasks[key] for key in task_keys if key in self.tasks}


def create(key: str) -> TaskAction:
    return TaskAction(key, "create", "salesforce", f"001{key}", f"sf:001{key}", "005A", "Visit due",
                      None, 12, "Normal", None)  # fmt: skip


def close(key: str, task_id: str) -> TaskAction:
    return TaskAction(key, "close", "salesforce", f"001{key}", f"sf:001{key}", "005A", None,
                      None, None, None, task_id)  # fmt: skip


@pytest.fixture
def con() -> Iterator[Connection]:
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


def ledger_rows(con: Connection) -> list[tuple[str, str, str, str | None, str]]:
    return con.execute(
        f"select run_id, task_key, action, crm_task_id, outcome from {TABLE} order by recorded_at, task_key"
    ).fetchall()


def test_creates_and_closes_go_in_batches_and_each_settles_in_the_ledger(con: Connection) -> None:
    writer = FakeWriter()
    queue = [create(k) for k in ("k1", "k2", "k3")] + [close("k9", "00T900")]
    summary = write_back(writer, queue, Ledger(con, "run-1", "salesforce"), max_tasks_per_run=10)
    # Nothing unsettled from an earlier run: no lookup before the writes.
    assert writer.calls == [("create", ["k1", "k2"]), ("create", ["k3"]), ("close", ["k9"])]
    assert (summary.planned_creates, summary.planned_closes) == (3, 1)
    assert (summary.created, summary.closed, summary.failed, summary.write_calls) == (3, 1, 0, 3)
    outcomes = [(key, action, outcome) for _, key, action, _, outcome in ledger_rows(con)]
    assert outcomes == [
        ("k1", "create", "pending"), ("k2", "create", "pending"),
        ("k1", "create", "created"), ("k2", "create", "created"),
        ("k3", "create", "pending"), ("k3", "create", "created"),
        ("k9", "close", "pending"), ("k9", "close", "closed"),
    ]  # fmt: skip


def test_a_dry_run_writes_nothing_and_records_what_it_would_do(con: Connection) -> None:
    writer = FakeWriter()
    summary = write_back(writer, [create("k1"), close("k9", "00T900")], Ledger(con, "r", "salesforce"),
                         max_tasks_per_run=10, dry_run=True)  # fmt: skip
    assert writer.calls == []
    assert (summary.planned_creates, summary.planned_closes, summary.write_calls) == (1, 1, 0)
    assert [row[4] for row in ledger_rows(con)] == ["dry_run", "dry_run"]


def test_a_runaway_queue_stops_before_any_call(con: Connection) -> None:
    writer = FakeWriter()
    with pytest.raises(RunawayWritebackError, match="3 task actions exceed max_tasks_per_run=2"):
        write_back(writer, [create("a"), create("b"), create("c")], Ledger(con, "r", "salesforce"), 2)
    assert writer.calls == []
    assert ledger_rows(con) == []


def test_a_refused_create_is_failed_with_the_crm_error(con: Connection) -> None:
    writer = FakeWriter(refuse=frozenset({"k2"}))
    summary = write_back(writer, [create("k1"), create("k2")], Ledger(con, "r", "salesforce"), 10)
    assert (summary.created, summary.failed) == (1, 1)
    assert summary.errors == ["k2: FIELD_CUSTOM_VALIDATION"]


def test_a_lost_answer_is_settled_by_key_and_nothing_is_created_twice(con: Connection) -> None:
    writer = FakeWriter(lose_next=1)
    summary = write_back(writer, [create("k1"), create("k2")], Ledger(con, "r", "salesforce"), 10)
    # The CRM applied the batch, the answer was lost: a lookup finds both, no create is resent.
    assert writer.calls == [("create", ["k1", "k2"]), ("find", ["k1", "k2"])]
    assert (summary.created, summary.recovered, summary.write_calls) == (2, 2, 1)
    assert len(writer.tasks) == 2


def test_after_too_many_lost_answers_the_next_run_reconciles_the_pending_creates(con: Connection) -> None:
    writer = FakeWriter(lose_next=MAX_LOST_ANSWERS + 1, refuse=frozenset({"k2"}))
    with pytest.raises(CrmUnreachableError, match="4 create calls in a row lost their answer"):
        write_back(writer, [create("k1"), create("k2")], Ledger(con, "run-1", "salesforce"), 10)
    # k1 was made (its answer lost, found again on every lookup, so only k2 was resent); k2 never was.
    assert [call for call in writer.calls if call[0] == "create"] == [("create", ["k1", "k2"])] + [
        ("create", ["k2"])
    ] * MAX_LOST_ANSWERS
    assert [(row[1], row[4]) for row in ledger_rows(con)] == [("k1", "pending"), ("k2", "pending")]

    next_run = Ledger(con, "run-2", "salesforce")
    assert sorted(next_run.unsettled_creates()) == ["k1", "k2"]
    assert reconcile_unsettled(FakeWriter(tasks=dict(writer.tasks)), next_run) == 1
    settled = {(row[0], row[1], row[4]) for row in ledger_rows(con) if row[0] == "run-2"}
    assert settled == {("run-2", "k1", "reconciled"), ("run-2", "k2", "failed")}
    assert next_run.unsettled_creates() == []


def test_a_task_created_but_not_synced_back_yet_is_not_created_again(con: Connection) -> None:
    """A writeback-only rerun: run 1 created k1, the raw layer has not seen task 00T000 yet."""
    write_back(FakeWriter(), [create("k1")], Ledger(con, "run-1", "salesforce"), 10)
    rerun = FakeWriter()
    summary = write_back(rerun, [create("k1"), create("k2")], Ledger(con, "run-2", "salesforce"), 10)
    assert summary.planned_creates == 1
    assert [call for call in rerun.calls if call[0] == "create"] == [("create", ["k2"])]


def test_once_the_raw_layer_holds_the_task_the_ledger_no_longer_blocks_its_key(con: Connection) -> None:
    ledger = Ledger(con, "run-1", "salesforce")
    write_back(FakeWriter(), [create("k1")], ledger, 10)
    assert ledger.created_but_not_synced() == {"k1"}
    con.execute("create schema raw_salesforce; create table raw_salesforce.task (id varchar)")
    con.execute("insert into raw_salesforce.task values ('00T000')")
    assert ledger.created_but_not_synced() == set()


def test_ledgers_of_two_crms_do_not_mix(con: Connection) -> None:
    write_back(FakeWriter(), [create("k1")], Ledger(con, "run-1", "salesforce"), 10)
    hubspot = Ledger(con, "run-1", "hubspot")
    assert hubspot.created_but_not_synced() == set()
    assert hubspot.unsettled_creates() == []
