"""Where the warehouse lives: a DuckDB file (the embedded default) or a PostgreSQL database (issue 16).

`--warehouse` and `cadence.warehouse` take either a path (`var/warehouse.duckdb`) or a URL
(`postgresql://user:password@host:5432/db`, libpq's URI form). Everything that opens the warehouse
parses the setting here, once; a password in the URL is never shown (`str()` redacts it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from ingest.errors import SettingsError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

Engine = Literal["duckdb", "postgres"]
# libpq accepts both schemes (PostgreSQL docs, 34.1.1 "Connection Strings").
_POSTGRES_SCHEMES = ("postgresql", "postgres")
# DuckDB opens these as MotherDuck databases (motherduck.com/docs, "Connecting to MotherDuck"); as a path
# here they would be a local file named `md:db`. dbt and dlt reach MotherDuck, the Python readers do not
# yet (docs/warehouses.md), so the setting is refused rather than silently written to a local file.
_MOTHERDUCK_PREFIXES = ("md:", "motherduck:")


@dataclass(frozen=True)
class WarehouseLocation:
    engine: Engine
    path: Path | None = None  # duckdb
    url: str | None = None  # postgres, with its credentials: never print it, print str(location)

    @classmethod
    def parse(cls, value: str | Path | WarehouseLocation) -> WarehouseLocation:
        if isinstance(value, WarehouseLocation):
            return value
        text = str(value).strip()
        if text.lower().startswith(_MOTHERDUCK_PREFIXES):
            raise SettingsError(
                f"warehouse {text.split('?', 1)[0]}: MotherDuck is not supported by cadence yet "
                "(docs/warehouses.md): use a DuckDB file path or a postgresql:// URL"
            )  # the query string may hold motherduck_token: never shown
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if not scheme:
            return cls(engine="duckdb", path=Path(text))
        if scheme not in _POSTGRES_SCHEMES:
            raise SettingsError(
                f"warehouse {_redact(text)}: use a DuckDB file path or a postgresql://user@host:port/db URL"
            )
        parts = urlsplit(text)
        if not parts.hostname or not parts.path.strip("/"):
            raise SettingsError(
                f"warehouse {_redact(text)}: name the host and the database, "
                "e.g. postgresql://cadence@db.example.com:5432/cadence"
            )
        return cls(engine="postgres", url=text)

    @property
    def is_postgres(self) -> bool:
        return self.engine == "postgres"

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else _redact(self.url or "")


def _redact(url: str) -> str:
    """The URL with its password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}{port}"))


# ---------------------------------------------------------------------------------------------------
# The one connection every Python reader/writer of the warehouse uses (issue 16): the same `?`
# parameters, results and transactions on DuckDB and PostgreSQL. Modules write portable SQL
# (docs/warehouse-interface.md); `Warehouse.engine` for the rare query that cannot be. dbt and dlt open
# their own connections.
# ---------------------------------------------------------------------------------------------------

Params = Sequence[object] | None
# What every reader/writer takes: the setting as given (a path or URL) or parsed.
WarehouseArg = str | Path | WarehouseLocation


def connect(location: WarehouseArg, read_only: bool = False) -> Warehouse:
    """Open the warehouse. DuckDB: the file (read_only lets several readers share it). PostgreSQL:
    one session in autocommit, like DuckDB's default; `transaction()` groups statements."""
    where = WarehouseLocation.parse(location)
    if where.is_postgres:
        return Warehouse(where, _connect_postgres(where))
    import duckdb

    return Warehouse(where, duckdb.connect(str(where.path), read_only=read_only))


def as_option(value: str | Path) -> Path | WarehouseLocation:
    """What `--warehouse` and `cadence.warehouse` become: a DuckDB file stays a Path (what the dbt and
    dlt steps were given before issue 16); a PostgreSQL URL its parsed location (a Path would fold the
    URL's `//`). SettingsError (one line, password hidden) for a URL that is neither."""
    location = WarehouseLocation.parse(value)
    return location if location.is_postgres or location.path is None else location.path


def describe(location: WarehouseArg) -> str:
    """The engine and where, for the doctor: connects to a PostgreSQL server (WarehouseUnavailable
    when it cannot) and names its version; a DuckDB file is not opened (a run may hold it)."""
    where = WarehouseLocation.parse(location)
    if not where.is_postgres:
        state = "exists" if exists(where) else "created by the first run"
        return f"DuckDB file {where} ({state})"
    with connect(where, read_only=True) as con:
        row = con.execute("show server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'} at {where}"


def exists(location: WarehouseArg) -> bool:
    """Whether there is a warehouse to read: a DuckDB file on disk; a PostgreSQL database always is
    (connecting tells whether it can be reached)."""
    where = WarehouseLocation.parse(location)
    return where.is_postgres or bool(where.path and where.path.exists())


REGISTRIES_ON_POSTGRES = (
    "registry files load into a DuckDB warehouse only (its CSV reader streams the multi-GB NPPES file; "
    "not supported on PostgreSQL yet): unset cadence.registry_nppes and cadence.registry_order_referring, "
    "or load them with `cadence registries load --warehouse FILE.duckdb`"
)


def refuse_registries_on_postgres(location: WarehouseArg) -> None:
    """SettingsError (one line, exit 2) for a registry load into a PostgreSQL warehouse."""
    if WarehouseLocation.parse(location).is_postgres:
        raise SettingsError(REGISTRIES_ON_POSTGRES)


def missing_table_errors() -> tuple[type[Exception], ...]:
    """What either engine raises for a table that is not there (a warehouse with no marts yet)."""
    import duckdb
    from psycopg2.errors import UndefinedTable

    return (duckdb.CatalogException, UndefinedTable)


def _connect_postgres(where: WarehouseLocation) -> Any:
    import psycopg2

    try:
        con = psycopg2.connect(where.url, connect_timeout=10, application_name="cadence-warehouse")
    except psycopg2.OperationalError as error:
        raise WarehouseUnavailable(f"warehouse {where}: {_postgres_reason(error)}") from None
    # read_only is not enforced on PostgreSQL: a read-only session may not create the temp tables a
    # reader keeps its intermediate rows in (expectations/sql_checks.py), and readers never block the
    # nightly run's writes there (MVCC), which is all DuckDB's read-only mode is asked for here.
    con.autocommit = True
    return con


def _postgres_reason(error: Exception) -> str:
    """libpq's first line, with the fix: it never holds the password, but say why in our words."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "password authentication failed" in text or "no password supplied" in text:
        return f"{text}; check the user and password in the URL (or PGPASSWORD)"
    if "does not exist" in text:
        return f"{text}; create the database or fix its name in the URL"
    return f"cannot connect ({text}); check the host and port, and that the server is running"


class WarehouseUnavailable(SettingsError):
    """The configured PostgreSQL warehouse cannot be reached or refused the login (one line, exit 2)."""


class Warehouse:
    """A connection to the warehouse, the same on both engines: `execute(sql, params)` with `?`
    placeholders returns itself, then `fetchall()` / `fetchone()` / `description`; `fetch_arrow`
    for a result as a pyarrow Table; `insert_rows` for a set-based insert; `transaction()`."""

    def __init__(self, location: WarehouseLocation, con: Any) -> None:
        self.location = location
        self.engine: Engine = location.engine
        self.raw = con  # the driver's connection (duckdb or psycopg2): for engine-specific callers only
        self._cursor: Any = con if self.engine == "duckdb" else con.cursor()

    @classmethod
    def wrap(cls, con: Any) -> Warehouse:
        """A Warehouse, or a DuckDB connection opened elsewhere (an in-memory one in a unit test)."""
        if isinstance(con, Warehouse):
            return con
        return cls(WarehouseLocation(engine="duckdb", path=Path(":memory:")), con)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.raw.close()

    def execute(self, sql: str, params: Params = None) -> Warehouse:
        if self.engine == "duckdb":
            self._cursor = self.raw.execute(sql, list(params) if params is not None else None)
        else:
            self._cursor.execute(*_to_pyformat(sql, params))
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._cursor.fetchall()]

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    @property
    def description(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.description or [])

    @property
    def columns(self) -> list[str]:
        return [column[0] for column in self.description]

    def fetch_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """The result as a pandas DataFrame, dates as datetime64 on both engines (DuckDB's `.df()`)."""
        if self.engine == "duckdb":
            return self.raw.execute(sql, list(params) if params is not None else None).df()
        import pyarrow as pa

        table = self.fetch_arrow(sql, params)
        schema = pa.schema([(f.name, _as_duckdb_df(f.type)) for f in table.schema])
        return table.cast(schema).to_pandas()

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """The result as a pyarrow Table (DuckDB natively; PostgreSQL column by column)."""
        if self.engine == "duckdb":
            return self.raw.sql(sql, params=list(params) if params is not None else None).to_arrow_table()
        import pyarrow as pa

        self.execute(sql, params)
        rows = self._cursor.fetchall()
        types = _pg_arrow_types()
        arrays = {
            column.name: pa.array([row[i] for row in rows], type=types.get(column.type_code))
            for i, column in enumerate(self._cursor.description)
        }
        return pa.table(arrays)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Append rows in one set-based statement (row-by-row executemany costs ~2 ms a row on DuckDB)."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.engine == "duckdb":
            import pyarrow as pa

            batch = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in rows])
            self.raw.register("_cadence_batch", batch)
            try:
                self.raw.execute(f"insert into {table} ({names}) select {names} from _cadence_batch")
            finally:
                self.raw.unregister("_cadence_batch")
            return
        from psycopg2.extras import execute_values

        execute_values(self._cursor, f"insert into {table} ({names}) values %s", rows, page_size=1000)

    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """Statements that land together or not at all (both engines: begin / commit / rollback)."""
        self.execute("begin")
        try:
            yield self
        except BaseException:
            self.execute("rollback")
            raise
        self.execute("commit")

    def table_exists(self, qualified: str) -> bool:
        """Whether `schema.table` exists (information_schema: the same on both engines)."""
        schema, table = qualified.split(".")
        rows = self.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()  # read whole: a half-read DuckDB result blocks the next fetch_arrow / fetch_df
        return bool(rows and rows[0][0])


def _as_duckdb_df(kind: pa.DataType) -> pa.DataType:
    """The arrow type whose pandas column matches DuckDB's `.df()`: decimals as float64 (PostgreSQL's
    numeric arrives as Decimal), dates as datetime64[us]."""
    import pyarrow as pa

    if pa.types.is_decimal(kind):
        return pa.float64()
    if pa.types.is_date(kind):
        return pa.timestamp("us")
    return kind


def _pg_arrow_types() -> dict[int, pa.DataType]:
    """psycopg2 type oids -> arrow types, so an empty result keeps its column types (PostgreSQL's
    pg_type.dat); other types (numeric, json ...) are inferred from the values."""
    import pyarrow as pa

    text, integer, real = pa.string(), pa.int64(), pa.float64()  # as DuckDB names them
    return {
        16: pa.bool_(), 20: integer, 21: pa.int16(), 23: pa.int32(), 700: pa.float32(), 701: real,
        25: text, 1042: text, 1043: text, 1082: pa.date32(),
        1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
    }  # fmt: skip


# Quoted text and -- comments, where a `?` is not a placeholder (an apostrophe in a comment is no quote).
_LITERALS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*")


def _to_pyformat(sql: str, params: Params) -> tuple[str, Sequence[object] | None]:
    """DuckDB's `?` placeholders as psycopg2's `%s`, outside quoted text and comments; every literal
    `%` doubled (psycopg2 formats the whole statement when given parameters)."""
    if params is None:
        return sql, None
    out, at = [], 0
    for literal in _LITERALS.finditer(sql):
        out.append(sql[at : literal.start()].replace("%", "%%").replace("?", "%s"))
        out.append(literal.group().replace("%", "%%"))
        at = literal.end()
    out.append(sql[at:].replace("%", "%%").replace("?", "%s"))
    return "".join(out), list(params)
