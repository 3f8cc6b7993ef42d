"""The writeback ledger and the date guards on both engines (issue 16): what a run wrote ahead of its CRM
calls, a rerun reads back and settles; the backdate guard reads the nights a writeback recorded. The CRM
is the scripted writer of test_writeback_branches (the e2e tests run the same code over real HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ingest.warehouse import WarehouseLocation, connect
from orchestration.load_gate import TABLE as SYNCS_COMPLETED
from orchestration.rules import Rules
from orchestration.writeback.guards import (
    BackdateError,
    check_backdate,
    guarded_queue,
    last_as_of,
    recent_creates,
    record_night,
)
from orchestration.writeback.ledger import Ledger, LedgerEntry
from orchestration.writeback.run import reconcile_unsettled, write_back
from tests.orchestration.test_writeback_branches import ScriptedWriter, _create

TODAY = datetime.now(UTC).date()


class DiesMidCall(ScriptedWriter):
    """The CRM applies the create call; the run is killed before the answer arrives."""

    def create(self, batch):  # type: ignore[no-untyped-def]
        super().create(batch)
        raise SystemExit("killed during the create call")


def _outcomes(location: WarehouseLocation, crm: str) -> list[tuple[str, str, str, str | None]]:
    with connect(location, read_only=True) as con:
        rows = con.execute(
            "select run_id, task_key, outcome, crm_task_id from cadence_ops.writeback_ledger "
            "where crm = ? order by recorded_at, run_id, task_key, outcome",
            [crm],
        ).fetchall()
    return [(run, key, outcome, task) for run, key, outcome, task in rows]


def test_pending_creates_of_a_dead_run_are_read_back_and_settled_by_the_rerun(
    warehouse_location: WarehouseLocation,
) -> None:
    keys = [_create(n).task_key for n in range(2)]
    writer = DiesMidCall()
    first = Ledger.open(warehouse_location, "run-1", "hubspot")
    try:
        with pytest.raises(SystemExit):
            write_back(writer, [_create(n) for n in range(2)], first, max_tasks_per_run=10)
    finally:
        first.close()
    assert [row[2] for row in _outcomes(warehouse_location, "hubspot")] == ["pending", "pending"]
    rerun = Ledger.open(warehouse_location, "run-2", "hubspot")
    try:
        assert sorted(rerun.unsettled_creates()) == keys  # the rerun reads what the dead run wrote
        assert reconcile_unsettled(writer, rerun) == 2  # the CRM holds both: settled, not re-sent
        assert rerun.unsettled_creates() == []
        assert rerun.unsynced_creates().suppressed == set(keys)  # no sync since: not queued again
    finally:
        rerun.close()
    settled = [row for row in _outcomes(warehouse_location, "hubspot") if row[0] == "run-2"]
    assert settled == [("run-2", keys[0], "reconciled", "T1"), ("run-2", keys[1], "reconciled", "T2")]


def test_a_create_the_completed_sync_did_not_see_is_verified_not_suppressed(
    warehouse_location: WarehouseLocation,
) -> None:
    ledger = Ledger.open(warehouse_location, "run-3", "salesforce")
    try:
        ledger.record([
            LedgerEntry("sf:A1", "create", "A1", None, "pending"),
            LedgerEntry("sf:A2", "create", "A2", None, "pending"),
        ])  # fmt: skip
        ledger.record([
            LedgerEntry("sf:A1", "create", "A1", "00T1", "created"),
            LedgerEntry("sf:A2", "create", "A2", "00T2", "created"),
        ])  # fmt: skip
        assert ledger.unsynced_creates().suppressed == {"sf:A1", "sf:A2"}
        con = ledger.con
        con.execute("create schema if not exists raw_salesforce")
        con.execute("create table raw_salesforce.task (id varchar)")
        con.execute("insert into raw_salesforce.task values ('00T1')")  # the sync saw A1's task only
        con.execute(f"create table {SYNCS_COMPLETED} (crm varchar, load_id varchar, run_id varchar, "
                    "checked_at timestamptz)")  # fmt: skip
        synced = datetime.now(UTC) + timedelta(seconds=1)
        con.insert_rows(SYNCS_COMPLETED, ["crm", "load_id", "run_id", "checked_at"],
                        [("salesforce", "1", "run-3", synced)])  # fmt: skip
        assert ledger.last_completed_sync() == synced
        assert ledger.unsynced_creates() == (set(), {"sf:A2"})  # a sync after it missed A2: ask the CRM
    finally:
        ledger.close()


def test_the_backdate_guard_reads_the_nights_the_writeback_recorded(
    warehouse_location: WarehouseLocation,
) -> None:
    last_night = TODAY - timedelta(days=1)
    record_night(warehouse_location, "n1", "hubspot", last_night - timedelta(days=1), 4, 0)
    record_night(warehouse_location, "n2", "hubspot", last_night, 6, 1)
    record_night(warehouse_location, "what-if", "hubspot", TODAY + timedelta(days=90), 50, 0)  # sets no bar
    assert last_as_of(warehouse_location, "hubspot") == last_night
    assert last_as_of(warehouse_location, "salesforce") is None
    assert recent_creates(warehouse_location, "hubspot", 2) == [50, 6]
    check_backdate(warehouse_location, ["hubspot", "salesforce"], last_night, allow_backdate=False)
    with pytest.raises(BackdateError) as refused:
        check_backdate(warehouse_location, ["hubspot"], date(2020, 1, 1), allow_backdate=False)
    assert f"hubspot's last run was as of {last_night}" in str(refused.value)
    queue = [_create(0)]
    assert guarded_queue(warehouse_location, "hubspot", queue, date(2020, 1, 1), Rules(),
                         allow_backdate=True) == ([], True)  # fmt: skip
    assert guarded_queue(warehouse_location, "hubspot", queue, TODAY, Rules()) == (queue, False)
