"""When an object's sync looks for deletes its read cannot see (ingest/key_scan.plan_check, DeleteState).

Salesforce's getDeleted answers for at most 15 days back ("the specified date range must be within
the last 15 days", REST API Developer Guide, Get Deleted Records); HubSpot has none (None).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.key_scan import DeleteCheck, DeleteState, never_loaded, plan_check

NOW = datetime(2024, 6, 30, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def plan(saved: DeleteState, **overrides: Any) -> DeleteCheck:
    options: dict[str, Any] = {
        "first_sync": False, "nightly": False, "key_scan_days": 7.0, "replication_days": 15.0,
    }  # fmt: skip
    return plan_check(saved, NOW, **{**options, **overrides})


def test_a_first_sync_checks_nothing_its_full_read_is_the_key_scan() -> None:
    check = plan(DeleteState(), first_sync=True, nightly=True)
    assert (check.key_scan, check.since, check.needed) == (False, None, False)


def test_accounts_are_key_scanned_every_night() -> None:
    check = plan(DeleteState(NOW - DAY, NOW - DAY), nightly=True)
    assert (check.key_scan, check.since) == (True, None)


def test_within_the_period_salesforce_asks_getdeleted_since_the_last_check() -> None:
    saved = DeleteState(until=NOW - DAY, key_scan_at=NOW - 3 * DAY)
    check = plan(saved)
    assert (check.key_scan, check.since) == (False, NOW - DAY)
    assert check.reason == "getDeleted since the last check"


def test_the_key_scan_period_is_inclusive_at_exactly_seven_days() -> None:
    just_inside = plan(DeleteState(NOW - DAY, NOW - 7 * DAY + timedelta(seconds=1)))
    assert not just_inside.key_scan
    at_the_period = plan(DeleteState(NOW - DAY, NOW - 7 * DAY))
    assert at_the_period.key_scan
    assert at_the_period.reason == "last key scan 7.0 days ago (period 7 days)"


def test_a_period_of_zero_scans_every_night_and_never_scanned_scans() -> None:
    assert plan(DeleteState(NOW - DAY, NOW - timedelta(minutes=1)), key_scan_days=0).key_scan
    never = plan(DeleteState(NOW - DAY, None))
    assert never.key_scan and never.reason == "last key scan never (period 7 days)"


def test_a_last_check_older_than_getdeleteds_window_falls_back_to_a_key_scan() -> None:
    """15 days back, less a 10-minute margin for the calls before the getDeleted one."""
    inside = DeleteState(until=NOW - 15 * DAY + timedelta(minutes=11), key_scan_at=NOW - DAY)
    assert plan(inside, key_scan_days=30).since == inside.until
    outside = DeleteState(until=NOW - 15 * DAY + timedelta(minutes=9), key_scan_at=NOW - DAY)
    fallback = plan(outside, key_scan_days=30)
    assert (fallback.key_scan, fallback.since) == (True, None)
    assert fallback.reason.endswith("past getDeleted's window")


def test_hubspot_within_the_period_checks_nothing() -> None:
    check = plan(DeleteState(NOW - DAY, NOW - DAY), replication_days=None)
    assert not check.needed
    assert check.reason == "within the key-scan period; archived records are listed"


def test_the_delete_state_round_trips_through_the_resource_state() -> None:
    state: dict[str, Any] = {}
    DeleteState(NOW, NOW - DAY).save(state)
    assert state == {"deletes": {"until": NOW.isoformat(), "key_scan_at": (NOW - DAY).isoformat()}}
    assert DeleteState.of(state) == DeleteState(NOW, NOW - DAY)
    DeleteState().save(state)
    assert DeleteState.of(state) == DeleteState() == DeleteState.of({})


def test_never_loaded_means_no_cursor_of_either_kind() -> None:
    assert never_loaded({})
    assert never_loaded({"cursor": None})
    assert not never_loaded({"cursor": {"at": NOW.isoformat(), "seen": []}})
    assert not never_loaded({"cursor_boundary": {"at": NOW.isoformat(), "ids": []}})
