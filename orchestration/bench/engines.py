"""The warehouse engines a bench pass writes: DuckDB files in the scratch folder, or databases on a
PostgreSQL server (issue 16: the same steps, side by side).

On PostgreSQL the bench writes only databases named `cadence_bench_*`, each dropped and created again
when a pass starts, on the server `--postgres` names (an admin URL: the role must be allowed to create
databases) or, without it, on a throwaway server it starts from Debian's `postgresql` package and stops
at the end. It never reads the warehouse setting: like the sandbox, it only touches what it was given.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UsageError
from ingest.local_state import STATE_DIR_ENV
from ingest.warehouse import WarehouseLocation
from orchestration.bench.postgres_server import PostgresServer, PostgresUnavailable, run_sql, start_server
from orchestration.dbt_runner import environment_set

ENGINES = ("duckdb", "postgres")
DATABASE_PREFIX = "cadence_bench_"


@dataclass(frozen=True)
class Scratch:
    """One pass's warehouses, by name ("warehouse", "nightly", ...), on one engine."""

    engine: str
    folder: Path  # DuckDB files, dlt's and dbt's working folders, the PostgreSQL state cache
    server: PostgresServer | None = None

    def warehouse(self, name: str) -> Path | WarehouseLocation:
        """A new empty warehouse: a DuckDB file (removed if left by an earlier run) or a new database."""
        if self.server is None:
            path = self.folder / f"{name}.duckdb"
            path.unlink(missing_ok=True)
            return path
        try:
            url = self.server.create_database(DATABASE_PREFIX + name, replace=True)
        except PostgresUnavailable as error:
            raise UsageError(f"cadence bench: {error}") from None
        return WarehouseLocation.parse(url)

    def environment(self) -> AbstractContextManager[None]:
        """A PostgreSQL warehouse keeps dlt's and dbt's working folders and the run's outputs under
        $CADENCE_STATE_DIR (ingest/local_state.py): during the pass that is the scratch folder, so no
        earlier run's cache is met. The steps' child processes inherit it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.server is None:
            return nullcontext()
        return environment_set({STATE_DIR_ENV: str(self.folder / "state")})


@contextmanager
def server_for(engines: Sequence[str], admin_url: str | None) -> Iterator[PostgresServer | None]:
    """The PostgreSQL server of the passes (None without a PostgreSQL pass): the one of `--postgres`,
    else a throwaway one, stopped (and its data removed) at the end."""
    if "postgres" not in engines:
        yield None
        return
    if admin_url:
        location = WarehouseLocation.parse(admin_url)  # a URL that is no postgresql:// one exits 2 here
        if not location.is_postgres:
            raise UsageError("cadence bench --postgres: give a postgresql://user:password@host:port/db URL")
        server = PostgresServer.external(admin_url)
        try:
            run_sql(admin_url, "select 1")  # before the org is generated and the sandboxes start
        except PostgresUnavailable as error:
            reason = str(error).splitlines()[0]
            where = f"cadence bench --postgres (server {server.address})"
            raise UsageError(f"{where}: {reason}; check the URL") from None
        yield server
        return
    try:
        server = start_server()
    except PostgresUnavailable as error:
        raise UsageError(f"cadence bench --engine postgres: {error}, with --postgres URL") from None
    try:
        yield server
    finally:
        server.stop()
