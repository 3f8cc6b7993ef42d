"""Parsing the warehouse setting: a DuckDB path or a PostgreSQL URL, the password never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import SettingsError
from ingest.warehouse import WarehouseLocation


def test_a_path_is_a_duckdb_file() -> None:
    location = WarehouseLocation.parse("var/warehouse.duckdb")
    assert (location.engine, location.path, location.url) == ("duckdb", Path("var/warehouse.duckdb"), None)
    assert str(location) == "var/warehouse.duckdb"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "PostgreSQL"])
def test_a_postgres_url_keeps_its_credentials_but_never_shows_the_password(scheme: str) -> None:
    url = f"{scheme}://cadence:s3cret@db.example.com:6432/crm"
    location = WarehouseLocation.parse(url)
    assert (location.engine, location.url, location.is_postgres) == ("postgres", url, True)
    assert str(location) == f"{scheme.lower()}://cadence:***@db.example.com:6432/crm"


def test_a_url_without_password_is_shown_whole() -> None:
    assert str(WarehouseLocation.parse("postgresql://cadence@localhost/crm")) == "postgresql://cadence@localhost/crm"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://root:pw@host/db", "warehouse mysql://root:\\*\\*\\*@host/db: use a DuckDB file path or a"),
        ("postgresql://cadence:pw@host:5432/", "name the host and the database"),
    ],
)
def test_a_bad_url_gets_one_line_without_the_password(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as failure:
        WarehouseLocation.parse(value)
    assert "pw@" not in str(failure.value) and "\n" not in str(failure.value)


@pytest.mark.parametrize("value", ["md:cadence", "MD:cadence?motherduck_token=tok-123", "motherduck:cadence"])
def test_a_motherduck_database_is_refused_in_one_line_without_its_token(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        WarehouseLocation.parse(value)
    name = value.split("?")[0]
    assert str(refused.value) == (
        f"warehouse {name}: MotherDuck is not supported by cadence yet (docs/warehouses.md): "
        "use a DuckDB file path or a postgresql:// URL"
    )
