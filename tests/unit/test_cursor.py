"""The incremental cursor (ingest/cursor.py): lookback, ceiling, exactly-once at equal modstamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from ingest.cursor import Cursor

NOON = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
LOOKBACK = 300.0  # seconds, the default


def page(*rows: tuple[str, datetime]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([row[0] for row in rows], pa.string()),
            "system_modstamp": pa.array([row[1] for row in rows], pa.timestamp("us", "UTC")),
        }
    )


def cursor(state: dict[str, Any]) -> Cursor:
    return Cursor(state, "system_modstamp", "id", LOOKBACK)


def ids(table: pa.Table) -> list[str]:
    return table["id"].to_pylist()


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def test_first_sync_reads_everything_and_saves_the_newest_modstamp() -> None:
    state: dict[str, Any] = {}
    first = cursor(state)
    assert first.start(NOON + timedelta(hours=1)) is None
    rows = page(("a", NOON - timedelta(minutes=10)), ("b", NOON))
    assert ids(first.new_rows(rows)) == ["a", "b"]
    first.save()
    # "a" is 10 minutes before the cursor, behind the 5-minute lookback: never read again, not tracked.
    assert state["cursor"] == {"at": NOON.isoformat(), "seen": [f"b|{micros(NOON)}"]}


def test_the_next_read_starts_one_lookback_before_the_saved_cursor() -> None:
    state = {"cursor": {"at": NOON.isoformat(), "seen": []}}
    assert cursor(state).start(NOON + timedelta(hours=1)) == NOON - timedelta(minutes=5)


def test_rows_sharing_the_cursor_modstamp_load_once_and_a_late_one_still_loads() -> None:
    """Equal modstamps at the boundary: the re-read drops the versions loaded, keeps the late commit."""
    state: dict[str, Any] = {}
    night1 = cursor(state)
    night1.start(NOON + timedelta(hours=1))
    night1.new_rows(page(("a", NOON), ("b", NOON)))
    night1.save()

    night2 = cursor(state)
    assert night2.start(NOON + timedelta(hours=2)) == NOON - timedelta(minutes=5)
    # "c" committed after night 1 read, stamped at the same instant (SystemModstamp = transaction start).
    fresh = night2.new_rows(page(("a", NOON), ("b", NOON), ("c", NOON)))
    assert ids(fresh) == ["c"]
    night2.save()
    assert state["cursor"]["at"] == NOON.isoformat()
    assert sorted(state["cursor"]["seen"]) == [f"{key}|{micros(NOON)}" for key in ("a", "b", "c")]


def test_a_new_version_of_a_loaded_record_is_new() -> None:
    state = {"cursor": {"at": NOON.isoformat(), "seen": [f"a|{micros(NOON)}"]}}
    night = cursor(state)
    night.start(NOON + timedelta(hours=1))
    later = NOON + timedelta(seconds=1)
    fresh = night.new_rows(page(("a", NOON), ("a", later)))
    assert fresh["system_modstamp"].to_pylist() == [later]


def test_the_saved_cursor_never_passes_the_crm_clock_minus_the_lookback() -> None:
    """A modstamp newer than "CRM now − lookback" may still have uncommitted neighbours: cap there."""
    state: dict[str, Any] = {}
    night = cursor(state)
    crm_now = NOON + timedelta(minutes=2)
    night.start(crm_now)
    night.new_rows(page(("a", NOON)))
    night.save()
    assert state["cursor"]["at"] == (crm_now - timedelta(minutes=5)).isoformat()
    # The next read starts 5 minutes before that ceiling: "a" is read again, and dropped as seen.
    assert state["cursor"]["seen"] == [f"a|{micros(NOON)}"]


def test_a_cursor_saved_past_the_crm_clock_is_pulled_back() -> None:
    """A far-future cursor (an edited state, an old version without the ceiling) would never read again."""
    state = {"cursor": {"at": (NOON + timedelta(days=365)).isoformat(), "seen": []}}
    night = cursor(state)
    assert night.start(NOON) == NOON - timedelta(minutes=10)  # ceiling NOON−5 min, then the lookback
    night.save()
    assert state["cursor"]["at"] == (NOON - timedelta(minutes=5)).isoformat()


def test_an_empty_page_changes_nothing() -> None:
    state: dict[str, Any] = {}
    night = cursor(state)
    night.start(NOON)
    empty = page()
    assert night.new_rows(empty) is empty
    night.save()
    assert state == {}  # nothing read, nothing saved: the next sync reads everything again

    saved = {"cursor": {"at": NOON.isoformat(), "seen": ["x|1"]}}
    quiet = cursor(saved)
    quiet.start(NOON + timedelta(hours=1))
    quiet.new_rows(page())
    quiet.save()
    assert saved["cursor"] == {"at": NOON.isoformat(), "seen": []}


def test_a_quiet_night_keeps_the_cursor_where_it_was() -> None:
    """Nothing newer than the cursor: it stays (never moves back), and re-read rows are all dropped."""
    state = {"cursor": {"at": NOON.isoformat(), "seen": [f"a|{micros(NOON)}"]}}
    night = cursor(state)
    night.start(NOON + timedelta(hours=3))
    assert night.new_rows(page(("a", NOON))).num_rows == 0
    night.save()
    assert state["cursor"] == {"at": NOON.isoformat(), "seen": [f"a|{micros(NOON)}"]}


def test_a_pending_cursor_is_promoted_only_when_its_load_passed() -> None:
    committed = {"at": NOON.isoformat(), "seen": []}
    pending = {"at": (NOON + timedelta(days=1)).isoformat(), "seen": ["a|1"], "load": "load-2"}

    passed = {"cursor": dict(committed), "cursor_pending": dict(pending)}
    Cursor(passed, "system_modstamp", "id", LOOKBACK, passed_loads=frozenset({"load-2"}))
    assert passed == {"cursor": {"at": pending["at"], "seen": ["a|1"]}}

    blocked = {"cursor": dict(committed), "cursor_pending": dict(pending)}
    night = Cursor(blocked, "system_modstamp", "id", LOOKBACK, passed_loads=frozenset({"load-1"}))
    assert blocked == {"cursor": committed}  # the blocked night is read again
    assert night.start(NOON + timedelta(days=2)) == NOON - timedelta(minutes=5)


def test_a_legacy_boundary_becomes_versions_at_its_instant() -> None:
    state = {"cursor_boundary": {"at": NOON.isoformat(), "ids": ["a", "b"]}}
    night = cursor(state)
    night.start(NOON + timedelta(hours=1))
    assert ids(night.new_rows(page(("a", NOON), ("b", NOON + timedelta(seconds=1))))) == ["b"]
    night.save()
    assert "cursor_boundary" not in state
    assert state["cursor"]["at"] == (NOON + timedelta(seconds=1)).isoformat()
