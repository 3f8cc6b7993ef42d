"""The suites evaluated in DuckDB agree with GX's own pandas engine, expectation by expectation: the
same verdicts (`mostly`, nulls, strict bounds, column pairs), counts and example rows."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import pytest

from expectations.sql_checks import validate_suite

RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "unexpected_index_column_names": ["id"],
    "partial_unexpected_count": 5,
}
# Sorted by id: GX's pandas engine lists examples in frame order, the SQL path by the example columns.
ROWS = pd.DataFrame(
    {
        "id": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"],
        "owner": ["u1", None, "u2", "u2", None, "u3", "u1", "u4"],
        "stamp": pd.to_datetime(
            [
                "2026-01-01",
                "1999-12-31",
                "2026-02-01",
                None,
                "2027-01-01",
                "2026-03-01",
                "2000-01-01",
                "2026-04-01",
            ]
        ),
        "visit_date": pd.to_datetime(["2026-01-01", "1990-05-05", None, "2026-01-02"] * 2),
        "known": [True, False, True, None, True, True, False, True],
        "status": ["overdue", "on_track", "bogus", "due_soon", None, "overdue", "never_visited", "on_track"],
        "days": [1, 2, 3, None, 5, None, 7, 8],
        "expected_days": [1, 2, 4, None, 5, 6, 7, 9],
        "reason": [None, None, "typo", None, None, None, None, None],
    }
)
EXPECTATIONS = [
    gxe.ExpectColumnValuesToNotBeNull(column="owner"),
    gxe.ExpectColumnValuesToNotBeNull(column="owner", mostly=0.7),
    gxe.ExpectColumnValuesToNotBeNull(column="id"),
    gxe.ExpectColumnValuesToBeUnique(column="owner"),
    gxe.ExpectColumnValuesToBeUnique(column="id"),
    gxe.ExpectColumnValuesToBeBetween(
        column="stamp", min_value=datetime(2000, 1, 1), max_value=datetime(2026, 12, 31)
    ),
    gxe.ExpectColumnValuesToBeBetween(column="stamp", min_value=datetime(2000, 1, 1), strict_min=True),
    gxe.ExpectColumnValuesToBeBetween(column="visit_date", min_value=datetime(2000, 1, 1), mostly=0.5),
    gxe.ExpectColumnValuesToBeBetween(column="days", max_value=5, strict_max=True),
    gxe.ExpectColumnValuesToBeInSet(column="known", value_set=[True]),
    gxe.ExpectColumnValuesToBeInSet(column="known", value_set=[True], mostly=0.6),
    gxe.ExpectColumnValuesToBeInSet(
        column="status", value_set=["overdue", "never_visited", "due_soon", "on_track"]
    ),
    gxe.ExpectColumnValuesToBeNull(column="reason"),
    gxe.ExpectColumnPairValuesToBeEqual(column_A="days", column_B="expected_days"),
]
COMPARED = ("element_count", "missing_count", "unexpected_count", "partial_unexpected_list")


def _plain(value: Any) -> Any:
    """Both engines' values as one kind: NaN/NaT and None alike, timestamps as datetimes."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value.item() if hasattr(value, "item") else value


def _key(expectation: Any) -> str:
    """An expectation by what it checks (GX's pandas engine may return results in another order)."""
    config = expectation.configuration if hasattr(expectation, "configuration") else expectation
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return f"{config.type}{sorted((k, str(v)) for k, v in kwargs.items())}"


def _summaries(results: list[Any]) -> dict[str, dict[str, Any]]:
    return {_key(r.expectation_config): _summary(r) for r in results}


def _summary(result: Any) -> dict[str, Any]:
    details = result.result or {}
    summary = {key: _plain(details.get(key)) for key in COMPARED}
    summary["success"] = bool(result.success)
    summary["example_ids"] = [row["id"] for row in details.get("partial_unexpected_index_list") or []]
    return summary


@pytest.fixture(scope="module")
def by_pandas() -> dict[str, dict[str, Any]]:
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("oracle")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": ROWS})
    )
    suite = gx.ExpectationSuite(name="parity", expectations=[e.copy() for e in EXPECTATIONS])
    results = batch.validate(suite, result_format=RESULT_FORMAT)
    return _summaries(results.results)


@pytest.fixture(scope="module")
def by_duckdb() -> dict[str, dict[str, Any]]:
    with duckdb.connect() as con:
        con.register("frame", ROWS)
        count, results = validate_suite(con, "select * from frame", EXPECTATIONS, ["id"], RESULT_FORMAT)
    assert count == len(ROWS)
    return _summaries(results)


@pytest.fixture(scope="module")
def by_postgres(postgres_server: Any) -> dict[str, dict[str, Any]]:
    """The same rows in a PostgreSQL table, validated there (issue 16: the gate on either engine)."""
    from ingest.warehouse import connect

    kinds = "id varchar, owner varchar, stamp timestamp, visit_date timestamp, known boolean, "
    kinds += "status varchar, days float8, expected_days bigint, reason varchar"
    rows = [tuple(None if pd.isna(v) else v for v in row) for row in ROWS.itertuples(index=False)]
    with connect(postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")) as con:
        con.execute(f"create table frame ({kinds})")
        con.insert_rows("frame", list(ROWS.columns), rows)
        count, results = validate_suite(con, "select * from frame", EXPECTATIONS, ["id"], RESULT_FORMAT)
    assert count == len(ROWS)
    return _summaries(results)


@pytest.mark.parametrize("number", range(len(EXPECTATIONS)))
def test_postgres_agrees_with_gx_pandas(
    by_pandas: dict[str, dict[str, Any]], by_postgres: dict[str, dict[str, Any]], number: int
) -> None:
    key = _key(EXPECTATIONS[number])
    assert by_postgres[key] == by_pandas[key]


@pytest.mark.parametrize("number", range(len(EXPECTATIONS)))
def test_duckdb_agrees_with_gx_pandas(
    by_pandas: dict[str, dict[str, Any]], by_duckdb: dict[str, dict[str, Any]], number: int
) -> None:
    key = _key(EXPECTATIONS[number])
    assert by_duckdb[key] == by_pandas[key]


def test_the_verdicts_are_the_hand_checked_ones(by_duckdb: dict[str, dict[str, Any]]) -> None:
    verdicts = [(by_duckdb[_key(e)]["success"], by_duckdb[_key(e)]["unexpected_count"]) for e in EXPECTATIONS]
    assert verdicts == [
        (False, 2),  # two owners missing
        (True, 2),  # 6 of 8 = 75% >= 70%
        (True, 0),
        (False, 4),  # u1 and u2 twice each
        (True, 0),
        (False, 2),  # 1999-12-31 and 2027-01-01 (a4's null is not judged)
        (False, 2),  # 1999-12-31, and 2000-01-01 is not strictly after
        (True, 2),  # 1990-05-05 twice, of 6 dates
        (False, 3),  # 5, 7 and 8 are not < 5
        (False, 2),
        (True, 2),  # 5 of 7 known
        (False, 1),  # bogus
        (False, 1),  # typo
        (False, 3),  # a3 and a8 differ, a6 has only one side
    ]
