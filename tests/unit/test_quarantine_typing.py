"""Quarantine typing (ingest/quarantine.py): untypeable values become null and a rejection, future
modstamps are left out; a clean page costs one vectorised cast."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from ingest.quarantine import (
    FUTURE,
    FUTURE_TOLERANCE,
    REJECTED_SCHEMA,
    Rejections,
    cast_or_null,
    rejected_items,
    untyped_reason,
    without_future,
)

CRM_NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
STAMP = pa.timestamp("us", "UTC")


def test_a_clean_column_casts_with_no_mask() -> None:
    typed, bad = cast_or_null(pa.array(["2024-06-03", None]), pa.date32())
    assert typed.to_pylist() == [date(2024, 6, 3), None]
    assert bad is None


def test_only_the_values_that_do_not_cast_are_null_and_masked() -> None:
    typed, bad = cast_or_null(pa.array(["2024-02-29", "2026-02-30", "not a date", None]), pa.date32())
    assert typed.to_pylist() == [date(2024, 2, 29), None, None, None]
    assert bad is not None and bad.to_pylist() == [False, True, True, False]  # a null is no rejection


def test_numbers_reject_junk_but_keep_decimals() -> None:
    typed, bad = cast_or_null(pa.array(["30", "12.5", "thirty"]), pa.float64())
    assert typed.to_pylist() == [30.0, 12.5, None]
    assert bad is not None and bad.to_pylist() == [False, False, True]


def test_reasons_name_the_type_in_words() -> None:
    assert untyped_reason(pa.date32()) == "cannot be read as a date"
    assert untyped_reason(STAMP) == "cannot be read as a timestamp"
    assert untyped_reason(pa.float64()) == "cannot be read as a number"
    assert untyped_reason(pa.bool_()) == "cannot be read as bool"


def page(*stamps: datetime | None) -> pa.Table:
    return pa.table(
        {"id": pa.array([f"r{n}" for n in range(len(stamps))]), "modstamp": pa.array(stamps, STAMP)}
    )


def test_a_modstamp_past_the_crm_clock_and_its_tolerance_is_left_out_and_rejected() -> None:
    rejections = Rejections("Account", CRM_NOW)
    at_the_edge = CRM_NOW + FUTURE_TOLERANCE  # exactly 5 minutes ahead: clock skew, kept
    table = page(CRM_NOW, at_the_edge, at_the_edge + timedelta(microseconds=1), None)
    kept = without_future(table, "modstamp", CRM_NOW, rejections)
    assert kept["id"].to_pylist() == ["r0", "r1", "r3"]
    rejected = rejections.table()
    assert rejected is not None and rejected.schema == REJECTED_SCHEMA
    assert [(r["id"], r["reason"], r["modstamp"]) for r in rejected.to_pylist()] == [
        ("r2", FUTURE, at_the_edge + timedelta(microseconds=1))
    ]


def test_without_the_crms_clock_nothing_is_judged_future() -> None:
    rejections = Rejections("Account", None)
    table = page(CRM_NOW + timedelta(days=3650))
    assert without_future(table, "modstamp", None, rejections) is table
    assert rejections.table() is None


def test_an_all_false_mask_adds_no_rejection_and_empty_parts_are_dropped() -> None:
    rejections = Rejections("Task", CRM_NOW)
    rejections.add(pa.array(["a"]), "activity_date", pa.array(["x"]), pa.array([CRM_NOW], STAMP),
                   pa.array([False]), "cannot be read as a date")  # fmt: skip
    rejections.add(pa.array(["a"]), "activity_date", pa.array(["x"]), pa.array([CRM_NOW], STAMP), None, "r")
    assert rejections.table() is None
    empty = pa.Table.from_pylist([], schema=REJECTED_SCHEMA)
    assert rejected_items([None, empty]) is None
