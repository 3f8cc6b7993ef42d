"""Which dbt target, connection and working folders a warehouse location gives (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.local_state import working_dir
from ingest.warehouse import WarehouseLocation
from orchestration.dbt_runner import builds_marts_aside, warehouse_env

URL = "postgresql://cadence:p%40ss%3Aword@db.example.com:6543/cadence_prod"


def test_a_duckdb_file_is_the_dev_target_named_by_its_file_in_its_folder(tmp_path: Path) -> None:
    """By its file name, dbt running in its folder (cadence-dbt): a moved folder keeps the parse cache."""
    env = warehouse_env(WarehouseLocation.parse(tmp_path / "w.duckdb"))
    assert env == {
        "CADENCE_DBT_TARGET": "dev",
        "CADENCE_WAREHOUSE": "w.duckdb",
        "CADENCE_DBT_FOLDER": str(tmp_path.resolve()),
    }


def test_a_postgres_url_is_the_postgres_target_its_password_only_in_the_secret_variable() -> None:
    env = warehouse_env(WarehouseLocation.parse(URL))
    assert env == {
        "CADENCE_DBT_TARGET": "postgres",
        "CADENCE_PG_HOST": "db.example.com",
        "CADENCE_PG_PORT": "6543",
        "CADENCE_PG_USER": "cadence",
        "CADENCE_PG_DATABASE": "cadence_prod",
        "DBT_ENV_SECRET_CADENCE_PG_PASSWORD": "p@ss:word",  # percent-decoded, as libpq does
        "PGOPTIONS": "-c enable_nestloop=off",  # the views' misestimates (orchestration/dbt_runner.py)
    }


@pytest.mark.parametrize(
    ("args", "aside"),
    [
        (["build"], True),
        (["build", "--exclude-resource-type", "unit_test"], True),  # the nightly build
        (["run"], True),
        (["parse", "--quiet"], True),
        (["build", "--select", "int_visits+"], False),
        (["run", "-s", "account_cadence"], False),
        (["run", "--select=account_cadence"], False),
        (["test"], False),
    ],
)
def test_only_whole_builds_on_postgres_build_the_marts_aside(args: list[str], aside: bool) -> None:
    assert builds_marts_aside(args, WarehouseLocation.parse(URL)) is aside
    assert builds_marts_aside(args, WarehouseLocation.parse("var/warehouse.duckdb")) is False


def test_working_folders_beside_the_file_or_per_database_under_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert working_dir(tmp_path / "w.duckdb", "dlt") == tmp_path.resolve() / ".dlt-w"
    monkeypatch.setenv("CADENCE_STATE_DIR", str(tmp_path / "state"))
    folder = working_dir(URL, "dbt")
    assert folder == (tmp_path / "state").resolve() / ".dbt-pg-db.example.com-6543-cadence_prod"
    assert "word" not in str(folder)
