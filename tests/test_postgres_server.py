"""The tests' PostgreSQL server (orchestration/bench/postgres_server.py): own database per test, password
required."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from orchestration.bench.postgres_server import PostgresUnavailable, run_sql


def test_each_test_gets_its_own_empty_database(postgres_url: str) -> None:
    database = urlsplit(postgres_url).path.lstrip("/")
    tables = "select current_database(), count(*) from pg_tables where schemaname = 'public'"
    assert run_sql(postgres_url, tables) == f"{database}|0\n"


def test_the_server_asks_for_the_password(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    wrong = urlunsplit(parts._replace(netloc=f"{parts.username}:not-it@{parts.hostname}:{parts.port}"))
    with pytest.raises(PostgresUnavailable, match="password authentication failed") as failure:
        run_sql(wrong, "select 1")
    assert "not-it" not in str(failure.value)
