"""One warehouse per engine per test module: DuckDB (a file) and PostgreSQL (a database on the run's
server), so a test written once runs on both (issue 16)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.warehouse import WarehouseLocation
from orchestration.bench.postgres_server import PostgresServer


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def warehouse_location(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WarehouseLocation]:
    if request.param == "duckdb":
        yield WarehouseLocation.parse(Path(tmp_path_factory.mktemp("wh")) / "warehouse.duckdb")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    yield WarehouseLocation.parse(server.create_database(f"t_{uuid.uuid4().hex[:12]}"))
