"""One org, two warehouses (issue 16): synced into DuckDB and into PostgreSQL from the same sandbox,
built by the same dbt project as of the same date, every mart is the same, row by row
(tests/warehouse/marts_compare.py says how types are normalised). `dbt build` on Postgres runs every
model, data test and unit test of the project there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ingest.hubspot import sync_hubspot
from ingest.salesforce import sync_salesforce
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import hubspot_config, salesforce_config
from ingest.warehouse import WarehouseLocation
from orchestration.bench.postgres_server import PostgresServer
from orchestration.dbt_runner import DbtRunError, run_dbt
from tests.helpers import serve_org
from tests.warehouse.marts_compare import Marts, differences, duckdb_marts, postgres_marts

AS_OF = date(2026, 6, 30)
# Enough of everything for every mart to have rows on both CRMs (junk included: quarantine, bad dates).
ACCOUNTS = 40


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[tuple[Path, str]]:
    tmp = tmp_path_factory.mktemp("engines")
    duck = tmp / "warehouse.duckdb"
    url = postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    org = generate_org(accounts=ACCOUNTS, seed=16, anchor_date=AS_OF)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CADENCE_STATE_DIR", str(tmp / "state"))
        with serve_org(org, tmp) as running:
            for warehouse in (duck, WarehouseLocation.parse(url)):
                sync_salesforce(salesforce_config(running), warehouse)
                sync_hubspot(hubspot_config(running), warehouse)
        run_dbt(["run"], duck, as_of=AS_OF, target_path=tmp / "target-duckdb")
        run_dbt(["build"], url, as_of=AS_OF, target_path=tmp / "target-postgres")
        yield duck, url


def test_every_mart_is_the_same_row_by_row_on_duckdb_and_postgres(built: tuple[Path, str]) -> None:
    duck, url = built
    on_duckdb, on_postgres = duckdb_marts(duck), postgres_marts(url)

    assert differences(on_duckdb, on_postgres) == []
    _assert_the_comparison_has_teeth(on_duckdb)


def _assert_the_comparison_has_teeth(marts: Marts) -> None:
    """The org fills the marts the contract is about (an empty mart would agree trivially)."""
    filled = {name for name, (_, rows) in marts.items() if rows}
    assert {
        "account_cadence", "overdue_visit_tasks", "visit_gaps", "rep_leaderboard", "rep_rhythm",
        "rep_accounts", "rep_people", "referral_potential", "referrer_coverage", "referral_trend",
        "prospect_progression", "prospect_waterfall", "rep_unmet_referrers",
    } <= filled  # fmt: skip
    # The registry marts need a registry load (NPPES files), which this org has none of.
    assert {name for name in marts if name not in filled} <= {"practice_locations", "new_provider_candidates"}


def test_the_postgres_marts_keep_the_contract_types(built: tuple[Path, str]) -> None:
    """Shares and percentages are doubles, dates dates, flags booleans, as on DuckDB (data-contract.md)."""
    import psycopg2

    _, url = built
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and column_name in "
            "('coverage_share', 'on_cadence_pct', 'last_visit_date', 'is_under_covered')"
        )
        types = {(table, column): kind for table, column, kind in cursor.fetchall()}
    assert types[("referral_potential", "coverage_share")] == "double precision"
    assert types[("rep_leaderboard", "on_cadence_pct")] == "double precision"
    assert types[("rep_rhythm", "on_cadence_pct")] == "double precision"
    assert types[("account_cadence", "last_visit_date")] == "date"
    assert types[("referral_potential", "is_under_covered")] == "boolean"


def test_no_file_dbt_or_dlt_wrote_holds_the_password(built: tuple[Path, str]) -> None:
    """dbt gets it as DBT_ENV_SECRET_* (scrubbed from its logs), dlt from the URL; neither writes it."""
    duck, url = built
    password = urlsplit(url).password
    assert password
    written = [path for path in duck.parent.rglob("*") if path.is_file() and path.suffix != ".duckdb"]
    assert len(written) > 10  # dbt's target folders (logs, manifest, run results) and dlt's
    assert [path for path in written if password.encode() in path.read_bytes()] == []


def test_a_reader_holding_the_marts_neither_blocks_the_rebuild_nor_sees_it_half_done(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    """A BI session idle in its transaction after reading the marts (it holds their locks) and one
    still holding a table of the night before's marts__previous: the whole rebuild publishes anyway,
    every mart at once; the session keeps its tables; its next transaction sees the new ones.
    (Same as-of date: the marts' rows stay the ones the comparison above checks.)"""
    import psycopg2

    _, url = built
    with psycopg2.connect(url) as admin, admin.cursor() as cursor:
        cursor.execute("create schema marts__previous; create table marts__previous.held (x int)")
    reader = psycopg2.connect(url)
    try:
        with reader.cursor() as cursor:
            cursor.execute("select count(*) from marts.account_cadence")
            (accounts,) = cursor.fetchone()
            cursor.execute("select count(*) from marts__previous.held")
            old = _mart_oids(cursor)

            run_dbt(["run"], url, as_of=AS_OF, target_path=tmp_path / "target")

            # Still in its transaction: the tables it opened, now under marts__previous, are readable.
            cursor.execute("select count(*) from marts__previous.account_cadence")
            assert cursor.fetchone() == (accounts,)
        reader.commit()
        with reader.cursor() as cursor:
            new = _mart_oids(cursor)
            cursor.execute("select count(*) from marts.account_cadence")
            assert cursor.fetchone() == (accounts,)
            cursor.execute("select nspname from pg_namespace where nspname like 'marts%' order by 1")
            schemas = [r[0] for r in cursor.fetchall()]
    finally:
        reader.close()
    assert set(new) == set(old) and not set(new.values()) & set(old.values())  # every mart replaced
    # The held marts__previous could not be dropped within lock_timeout: set aside, not waited for.
    assert schemas[:2] == ["marts", "marts__previous"] and len(schemas) == 3
    assert schemas[2].startswith("marts__stale_")


def _mart_oids(cursor: Any) -> dict[str, int]:
    cursor.execute(
        "select c.relname, c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'marts' and c.relkind = 'r'"
    )
    return dict(cursor.fetchall())


def test_a_build_with_a_failed_mart_publishes_nothing(built: tuple[Path, str], tmp_path: Path) -> None:
    """account_cadence fails (a broken rule value), the marts that do not need it are built aside:
    readers keep last night's marts, all of them, none of tonight's."""
    import psycopg2

    _, url = built
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        before = _mart_oids(cursor)
    with pytest.raises(DbtRunError, match="account_cadence"):
        run_dbt(["run"], url, as_of=AS_OF, vars={"due_soon_days": "'x' +"}, target_path=tmp_path / "target")
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        assert _mart_oids(cursor) == before
        cursor.execute("select count(*) from pg_tables where schemaname = 'marts__build'")
        (aside,) = cursor.fetchone()
    assert 0 < aside < len(before)  # some marts were built, none published
