"""The held-out style scenario on both engines (issue 16 "Done when"): the hand-made two-CRM org of
tests/orchestration/org.py, three nights of the real nightly job (`run_audit`, the path `cadence run`
takes) on DuckDB and on PostgreSQL, each engine with its own sandbox served from the same org:
night 1 creates the five tasks per CRM, night 2 (a rerun) writes nothing, then a rep logs a visit on
account 1 in both CRMs and night 3 closes exactly its task. After every night the marts are identical
row by row across engines and the CRM tasks are identical (ids aside).

A BI-style reader rides along on night 2, at no extra nightly run: on PostgreSQL a session idle in
an open transaction that read a mart through the whole run; the run succeeds and the reader's next
transaction sees the new marts. On DuckDB a process holding the file makes the run fail at once with
the one-line lock message (before any sync), and night 2 runs once the reader is gone.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from ingest.errors import UsageError
from ingest.sandbox import RunningSandbox
from ingest.warehouse import WarehouseLocation
from orchestration.bench.postgres_server import PostgresServer
from tests.helpers import after_search_lag, serve_org
from tests.orchestration.harness import HS_CREATES, HS_UPDATES, SF_WRITES, Run, ledger_outcomes, run_audit
from tests.orchestration.org import AS_OF, EXPECTED_TASKS, VISITED_ON_AS_OF, hand_made_org
from tests.orchestration.test_nightly_writeback import (
    CRMS,
    TaskView,
    _closed_status,
    _expected_view,
    _log_visits_on_as_of,
    _open_status,
    _pipeline_views,
)
from tests.orchestration.test_warehouse_lock import held_open, lock_message
from tests.warehouse.marts_compare import Marts, differences, duckdb_marts, postgres_marts

ENGINES = ("duckdb", "postgres")
NO_WRITES = {SF_WRITES: 0, HS_CREATES: 0, HS_UPDATES: 0}


@dataclass
class Night:
    run: Run
    marts: Marts
    tasks: dict[str, list[TaskView]]  # crm -> the pipeline's tasks, sorted
    ledger: dict[str, Any]  # crm -> outcome counts


@dataclass
class Engine:
    warehouse: Path | WarehouseLocation
    nights: list[Night] = field(default_factory=list)
    reader: dict[str, Any] = field(default_factory=dict)  # what the BI-style reader saw on night 2


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[dict[str, Engine]]:
    tmp = tmp_path_factory.mktemp("three-nights")
    url = postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    done = {
        "duckdb": Engine(tmp / "duckdb" / "warehouse.duckdb"),
        "postgres": Engine(WarehouseLocation.parse(url)),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CADENCE_STATE_DIR", str(tmp / "state"))
        for name, engine in done.items():
            folder = tmp / name
            folder.mkdir(exist_ok=True)
            patch.chdir(folder)  # PostgreSQL's run logs, Data Docs and report go under the working directory
            with serve_org(hand_made_org(), folder) as running:
                _three_nights(running, engine)
    yield done


def _three_nights(running: RunningSandbox, engine: Engine) -> None:
    engine.nights.append(_night(running, engine))
    after_search_lag(running)  # nights are apart: HubSpot's index caught up with the last writes
    if isinstance(engine.warehouse, WarehouseLocation):
        engine.nights.append(_night_under_a_postgres_reader(running, engine))
    else:
        engine.reader = _refused_while_held(running, engine.warehouse)
        engine.nights.append(_night(running, engine))
    _log_visits_on_as_of(running, VISITED_ON_AS_OF)
    after_search_lag(running)
    engine.nights.append(_night(running, engine))


def _night(running: RunningSandbox, engine: Engine) -> Night:
    run = run_audit(running, engine.warehouse, AS_OF)
    assert run.summary.succeeded, run.summary.error
    warehouse = engine.warehouse
    marts = (
        postgres_marts(warehouse.url or "")
        if isinstance(warehouse, WarehouseLocation)
        else duckdb_marts(warehouse)
    )
    return Night(
        run=run,
        marts=marts,
        tasks={crm: _pipeline_views(running, crm) for crm in CRMS},
        ledger={crm: dict(ledger_outcomes(warehouse, crm)) for crm in CRMS},
    )


def _mart_oid(cursor: Any) -> int:
    cursor.execute("select 'marts.account_cadence'::regclass::oid")
    return int(cursor.fetchone()[0])


def _night_under_a_postgres_reader(running: RunningSandbox, engine: Engine) -> Night:
    """A BI session reads account_cadence and stays idle in its transaction (holding the table's lock)
    through the whole run; then commits and reads again."""
    assert isinstance(engine.warehouse, WarehouseLocation)
    reader = psycopg2.connect(engine.warehouse.url)
    try:
        with reader.cursor() as cursor:
            before = _mart_oid(cursor)
            cursor.execute("select count(*) from marts.account_cadence")
            rows_before = cursor.fetchone()[0]
            night = _night(running, engine)
            reader.commit()
            after = _mart_oid(cursor)
            cursor.execute("select count(*) from marts.account_cadence")
            rows_after = cursor.fetchone()[0]
    finally:
        reader.close()
    engine.reader = {"replaced": before != after, "rows": (rows_before, rows_after)}
    return night


def _refused_while_held(running: RunningSandbox, warehouse: Path) -> dict[str, Any]:
    """A reader holding the DuckDB file: the run refuses at once, one line, no CRM call."""
    before = dict(running.counters)
    with held_open(warehouse) as reader:
        started = time.monotonic()
        with pytest.raises(UsageError) as refused:
            run_audit(running, warehouse, AS_OF)
        seconds = time.monotonic() - started
    return {
        "message": str(refused.value),
        "expected": lock_message(warehouse, reader.pid),
        "seconds": seconds,
        "calls": {name: count - before.get(name, 0) for name, count in running.counters.items()
                  if count != before.get(name, 0)},
    }  # fmt: skip


def _expected_tasks(crm: str, closed: int | None = None) -> list[TaskView]:
    return sorted(
        _expected_view(crm, t, _closed_status(crm) if t.n == closed else _open_status(crm))
        for t in EXPECTED_TASKS
    )


def test_every_night_gives_the_same_marts_on_both_engines(engines: dict[str, Engine]) -> None:
    duck, postgres = engines["duckdb"].nights, engines["postgres"].nights
    assert len(duck) == len(postgres) == 3
    for night, (left, right) in enumerate(zip(duck, postgres, strict=True), start=1):
        assert differences(left.marts, right.marts) == [], f"night {night}"
    # The comparison has teeth: the contract's marts are filled (an empty mart would agree trivially).
    filled = {name for name, (_, rows) in duck[-1].marts.items() if rows}
    assert {"account_cadence", "overdue_visit_tasks", "visit_gaps", "rep_leaderboard"} <= filled


def test_the_crm_tasks_are_the_hand_checked_ones_on_both_engines(engines: dict[str, Engine]) -> None:
    """Subject, owner, due date, priority, status and key per account; the same on both engines."""
    for name in ENGINES:
        first, second, third = engines[name].nights
        for crm in CRMS:
            assert first.tasks[crm] == _expected_tasks(crm), name
            assert second.tasks[crm] == first.tasks[crm], name
            assert third.tasks[crm] == _expected_tasks(crm, closed=VISITED_ON_AS_OF), name
    for night in range(3):
        assert engines["duckdb"].nights[night].tasks == engines["postgres"].nights[night].tasks


def test_the_hand_checked_counts_per_night(engines: dict[str, Engine]) -> None:
    for name in ENGINES:
        first, second, third = engines[name].nights
        assert first.run.writes() == {SF_WRITES: 1, HS_CREATES: 1, HS_UPDATES: 0}, name
        assert second.run.writes() == NO_WRITES, name
        assert third.run.writes() == {SF_WRITES: 1, HS_CREATES: 0, HS_UPDATES: 1}, name
        for crm in CRMS:
            outcomes = [n.run.summary.writeback[crm] for n in (first, second, third)]
            created_closed = [(wb["created"], wb["closed"]) for wb in outcomes]
            assert created_closed == [(5, 0), (0, 0), (0, 1)], (name, crm)
            assert first.ledger[crm] == {"pending": 5, "created": 5}, (name, crm)
        # 5 tasks + the account with a visit planned within the grace; night 3: account 1 was visited.
        overdue = [n.run.summary.overdue_accounts for n in (first, second, third)]
        assert overdue == [{"salesforce": 6, "hubspot": 6}] * 2 + [{"salesforce": 5, "hubspot": 5}], name
    for night in range(3):
        assert engines["duckdb"].nights[night].ledger == engines["postgres"].nights[night].ledger
    for name in ENGINES:
        seconds = [f"{n.run.seconds:.0f} s" for n in engines[name].nights]
        print(f"{name}: nights {', '.join(seconds)}")


def test_a_reader_holding_postgres_through_the_night_neither_blocks_it_nor_misses_the_new_marts(
    engines: dict[str, Engine],
) -> None:
    """Night 2 succeeded (asserted as it ran) under the reader; its next transaction reads the
    republished account_cadence (a new table), with the same rows as of the same date: 7 in-scope
    accounts per CRM (account 5 is a vendor, out of scope)."""
    assert engines["postgres"].reader == {"replaced": True, "rows": (14, 14)}


def test_a_reader_holding_the_duckdb_file_stops_the_night_at_once_in_one_line(
    engines: dict[str, Engine],
) -> None:
    refused = engines["duckdb"].reader
    assert refused["message"] == refused["expected"]
    assert refused["calls"] == {}  # refused before any CRM call: nothing synced, nothing written
    assert refused["seconds"] < 10, refused["seconds"]
    print(f"duckdb held open: refused in {refused['seconds']:.1f} s")
