"""A warehouse that holds only one CRM (no raw_hubspot schema at all) still builds every mart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from orchestration.dbt_runner import run_dbt, warehouse_target
from tests.dbt.raw_fixture import RAW_TABLES, insert_rows


def _salesforce_only_warehouse(warehouse: Path) -> None:
    """One account of one owner, last visited 2024-05-01 on a 30-day cadence: due 2024-05-31."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_salesforce")
        for table, columns in RAW_TABLES["raw_salesforce"].items():
            column_sql = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
            con.execute(f'create table raw_salesforce."{table}" ({column_sql})')
        # The owner is a synced, active user: an owner id that is no user gets no task (a queue, say).
        insert_rows(con, "raw_salesforce", "user", [{"id": "005U", "name": "Solo Rep", "is_active": True}])
        insert_rows(con, "raw_salesforce", "account", [
            {"id": "001000000000001AAA", "name": "Solo", "type": "Customer - Direct", "owner_id": "005U",
             "created_date": "2024-01-01T00:00:00Z", "is_deleted": False},
        ])
        insert_rows(con, "raw_salesforce", "event", [
            {"id": "00U1", "account_id": "001000000000001AAA", "type": "Visit", "activity_date": "2024-05-01",
             "is_deleted": False},
        ])


def test_salesforce_only_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _salesforce_only_warehouse(warehouse)

    run_dbt(["run"], warehouse, as_of=date(2024, 6, 30), target_path=tmp_path / "target")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select account_key, days_overdue, cadence_status from marts.account_cadence"
        ).fetchall() == [("salesforce:001000000000001AAA", 30, "overdue")]
        assert con.execute("select task_key, action from marts.overdue_visit_tasks").fetchall() == [
            ("salesforce:001000000000001AAA:2024-05-31", "create")
        ]
        assert con.execute("select count(*) from staging.stg_hubspot__companies").fetchone() == (0,)
        # No registry loaded: the registry marts exist, empty (source_or_empty).
        assert con.execute("select count(*) from marts.practice_locations").fetchone() == (0,)
        assert con.execute("select count(*) from marts.new_provider_candidates").fetchone() == (0,)


def _days_overdue(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select days_overdue from marts.account_cadence").fetchone()[0]


def test_the_next_night_reparses_nothing_and_still_moves_the_as_of_date(tmp_path: Path) -> None:
    """Nights differ only in their as-of date: dbt reuses its whole partial parse (the warehouse's own
    target folder, env CADENCE_AS_OF read only at compile time), and the date still reaches the SQL."""
    warehouse = tmp_path / "warehouse.duckdb"
    _salesforce_only_warehouse(warehouse)
    log = warehouse_target(warehouse) / "dbt.log"  # dagster-dbt logs into the target folder

    run_dbt(["run"], warehouse, as_of=date(2024, 6, 30))
    assert _days_overdue(warehouse) == 30  # due 2024-05-31
    # A new warehouse: parsed in full, or from the seed another warehouse's parse shared
    # (orchestration/dbt_child.py); either way its own cache is there for the next night.
    assert (warehouse_target(warehouse) / "partial_parse.msgpack").exists()
    log.unlink()

    run_dbt(["run"], warehouse, as_of=date(2024, 7, 10))
    assert _days_overdue(warehouse) == 40
    next_night = log.read_text()
    assert "Unable to do partial parsing" not in next_night
    assert "Partial parsing: updated file" not in next_night  # no model read the changed env var
    assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed" in next_night
    assert "[debug]" in next_night and '{"data":' not in next_night  # text: LOG_FILE_FORMAT
