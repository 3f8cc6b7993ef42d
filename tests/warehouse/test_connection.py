"""The one warehouse connection (ingest/warehouse.py): the same SQL, parameters, results and
transactions on DuckDB and PostgreSQL; a PostgreSQL that cannot be reached is one line, no password."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from ingest.tables import table_exists
from ingest.warehouse import WarehouseLocation, WarehouseUnavailable, connect, exists
from tests.warehouse.urls import free_port, with_password

ROWS = [
    ("a", 1, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
    ("b?%", 2, None, None),
]


@pytest.fixture(scope="module")
def filled(warehouse_location: WarehouseLocation) -> WarehouseLocation:
    with connect(warehouse_location) as con:
        con.execute("create schema if not exists t")
        con.execute("create table t.items (name varchar, n bigint, day date, stamped timestamptz)")
        con.insert_rows("t.items", ["name", "n", "day", "stamped"], ROWS)
    return warehouse_location


def test_question_mark_parameters_and_literal_percent_and_question_marks(filled: WarehouseLocation) -> None:
    with connect(filled, read_only=True) as con:
        rows = con.execute(
            "select name, n, 'x?%' as lit -- the name's own '?' and '%' are text\n"
            "from t.items where n >= ? and name like '%' order by n",
            [1],
        ).fetchall()
        assert rows == [("a", 1, "x?%"), ("b?%", 2, "x?%")]
        assert con.columns == ["name", "n", "lit"]
        assert con.execute("select count(*) from t.items where name = ?", ["b?%"]).fetchone() == (1,)


def test_dates_and_timestamps_come_back_as_python_values(filled: WarehouseLocation) -> None:
    with connect(filled, read_only=True) as con:
        day, at = con.execute("select day, stamped from t.items where name = 'a'").fetchone() or (None, None)
    assert day == date(2026, 1, 2)
    assert at == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)  # aware: equal across session time zones


def test_arrow_results_keep_their_types_even_when_empty(filled: WarehouseLocation) -> None:
    with connect(filled, read_only=True) as con:
        full = con.fetch_arrow("select name, n, day from t.items order by n")
        empty = con.fetch_arrow("select name, n, day from t.items where n > ?", [99])
    assert full.to_pydict() == {"name": ["a", "b?%"], "n": [1, 2], "day": [date(2026, 1, 2), None]}
    expected = pa.schema([("name", pa.string()), ("n", pa.int64()), ("day", pa.date32())])
    assert full.schema == expected and empty.schema == expected and empty.num_rows == 0


def test_a_failed_transaction_leaves_nothing(filled: WarehouseLocation) -> None:
    with connect(filled) as con:
        with pytest.raises(RuntimeError), con.transaction():
            con.insert_rows("t.items", ["name", "n"], [("rolled back", 9)])
            raise RuntimeError("the run died")
        with con.transaction():
            con.execute("insert into t.items (name, n) values (?, ?)", ["kept", 3])
        names = [row[0] for row in con.execute("select name from t.items order by n").fetchall()]
        con.execute("delete from t.items where name = 'kept'")
    assert names == ["a", "b?%", "kept"]


def test_table_exists_on_the_connection_and_the_shared_helper(filled: WarehouseLocation) -> None:
    with connect(filled, read_only=True) as con:
        assert con.table_exists("t.items") and table_exists(con, "t.items")
        assert not con.table_exists("t.nothing") and not table_exists(con, "cadence_ops.nothing")
        # Read whole: DuckDB refuses a fetch_arrow while a result of execute() is half read.
        assert con.table_exists("t.items") and con.fetch_arrow("select name from t.items").num_rows == 2
    assert exists(filled)


def test_a_duckdb_file_not_yet_written_does_not_exist(tmp_path) -> None:
    assert not exists(tmp_path / "none.duckdb")


def test_a_wrong_password_is_one_line_that_never_shows_it(postgres_url: str) -> None:
    with pytest.raises(WarehouseUnavailable) as failure:
        connect(with_password(postgres_url, "Wr0ng-s3cret"))
    message = str(failure.value)
    assert "Wr0ng-s3cret" not in message and "\n" not in message
    assert "password authentication failed" in message and "check the user and password" in message


def test_an_unreachable_server_is_one_line_naming_host_and_port(postgres_url: str) -> None:
    port = free_port()
    with pytest.raises(WarehouseUnavailable) as failure:
        connect(with_password(postgres_url, "s3cret-pw", port))
    message = str(failure.value)
    assert message.startswith("warehouse postgresql://") and f":{port}/" in message
    assert "s3cret-pw" not in message and "\n" not in message and "check the host and port" in message


def test_the_bench_counts_the_raw_layer_on_both_engines(warehouse_location: WarehouseLocation) -> None:
    from orchestration.bench.phases import raw_rows

    with connect(warehouse_location) as con:
        con.execute("create schema if not exists raw_bench")
        con.execute("create table raw_bench.things (id varchar)")
        con.insert_rows("raw_bench.things", ["id"], [("a",), ("b",), ("c",)])
        assert raw_rows(con) == 3  # t.items (not raw) is not counted
