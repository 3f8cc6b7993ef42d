"""Load the registry files into `raw_registries`, typed, streaming through DuckDB's CSV reader.

Why DuckDB's `read_csv` and not dlt: the files are local CSVs, not an API; DuckDB parses them in
parallel and streams them straight into a table (a 9 GB NPPES file never sits in memory), reading only
the ~45 of NPPES's 330 columns the marts use (projection pushdown). dlt would add a Python hop per batch
and a schema inference pass over 330 columns for nothing.

Every column is read as text (`all_varchar`: NPIs and ZIPs keep their leading zeros, an odd value never
aborts a national load on the sniffer's guess) and typed in the SELECT: dates with `try_strptime`.

Tables (docs/data-contract.md, "Registries"):
- `raw_registries.nppes_providers`: one row per NPI. `--nppes FILE` (the monthly full file) replaces
  it; a weekly incremental file (same layout) upserts by NPI, the later `Last Update Date` winning.
- `raw_registries.order_referring`: one row per NPI, the five Y/N flags as booleans; replaced per load.
- `cadence_ops.registry_loads`: each load's file, size, mtime and rows (the asset reloads on a change).
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from ingest.errors import UsageError
from ingest.registries.layouts import (
    NPPES_COLUMNS,
    NPPES_DATE_COLUMNS,
    NPPES_REQUIRED,
    ORDER_REFERRING_FLAGS,
    ORDER_REFERRING_HEADER,
    PRIMARY_SWITCH,
    TAXONOMY_CODE,
    TAXONOMY_SLOTS,
)
from ingest.tables import table_exists

SCHEMA = "raw_registries"
NPPES_TABLE = f"{SCHEMA}.nppes_providers"
ORDER_REFERRING_TABLE = f"{SCHEMA}.order_referring"
LOADS_TABLE = "cadence_ops.registry_loads"
NPPES_DATE_FORMAT = "%m/%d/%Y"  # the readme: dates are MM/DD/YYYY
# DuckDB spills to disk past this, so the load's peak stays bounded whatever the file's size.
MEMORY_LIMIT = "1GB"

Kind = Literal["nppes", "nppes_weekly", "order_referring"]


class RegistryFileError(UsageError):
    """A registry file is missing, empty, or lacks a column of its layout."""


@dataclass(frozen=True)
class LoadResult:
    kind: Kind
    path: Path
    rows: int  # rows read from the file
    table_rows: int  # rows of the table after the load
    seconds: float


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file version cheaply: a 9 GB file is not hashed every night."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        stat = path.stat()
        return cls(stat.st_size, stat.st_mtime_ns)


def read_header(path: Path, label: str, required: tuple[str, ...]) -> list[str]:
    """The file's header; RegistryFileError (one line) when the file or a required column is missing."""
    if not path.is_file():
        raise RegistryFileError(f"{label} file {path} not found; download it from CMS or check the path")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise RegistryFileError(f"{label} file {path} is empty; download it again")
    missing = [name for name in required if name not in header]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise RegistryFileError(
            f"{label} file {path} has no column '{missing[0]}'{more}: is it the {label} CSV "
            "(not the zip, not the header-only file)?"
        )
    return header


def _reader(path: Path, header: list[str]) -> str:
    """A `read_csv` call with the file's own columns, all text, no sniffing (a 9 GB sniff is slow and
    a guessed type can reject a row at 8 million)."""
    columns = ", ".join(f"'{_quote_literal(name)}': 'VARCHAR'" for name in header)
    return (
        f"read_csv('{_quote_literal(str(path))}', header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', columns = {{{columns}}})"
    )


def _quote_literal(text: str) -> str:
    return text.replace("'", "''")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _nppes_select(path: Path, header: list[str]) -> str:
    """The typed projection of an NPPES file: kept columns, taxonomy slots as a list, the primary one."""
    fields = []
    for column, source in NPPES_COLUMNS.items():
        value = f"nullif(trim({_ident(source)}), '')"
        if column in NPPES_DATE_COLUMNS:
            value = f"cast(try_strptime({value}, '{NPPES_DATE_FORMAT}') as date)"
        elif column == "entity_type_code":  # 1 individual, 2 organisation; blank when deactivated
            value = f"try_cast({value} as tinyint)"
        fields.append(f"{value} as {column}")
    codes = [
        f"nullif(trim({_ident(TAXONOMY_CODE.format(slot=s))}), '')" for s in range(1, TAXONOMY_SLOTS + 1)
    ]
    switches = [_ident(PRIMARY_SWITCH.format(slot=s)) for s in range(1, TAXONOMY_SLOTS + 1)]
    # Empty slots are common (most providers have one taxonomy): dropped, order kept.
    fields.append(f"list_filter([{', '.join(codes)}], lambda code: code is not null) as taxonomy_codes")
    # The readme: switch 'Y' marks the primary taxonomy; files also carry 'N' or blank. No 'Y': slot 1.
    primary = " ".join(
        f"when {switch} = 'Y' then {code}" for switch, code in zip(switches, codes, strict=True)
    )
    fields.append(f"coalesce(case {primary} end, {codes[0]}) as primary_taxonomy_code")
    return (
        f"select {', '.join(fields)} from {_reader(path, header)} where nullif(trim(\"NPI\"), '') is not null"
    )


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse))
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    con.execute("set preserve_insertion_order = false")  # lets the CSV scan stream into the insert
    return con


def load_nppes(warehouse: Path, path: Path, weekly: bool = False) -> LoadResult:
    """Load an NPPES file: the monthly full file replaces the table, a weekly one upserts into it."""
    header = read_header(path, "NPPES", NPPES_REQUIRED)
    kind: Kind = "nppes_weekly" if weekly else "nppes"
    started = time.monotonic()
    with _connect(warehouse) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        select = _nppes_select(path, header)
        if weekly and table_exists(con, NPPES_TABLE):
            rows = _upsert(con, select)
        else:
            # The full file holds each NPI once: no window over 9M rows (it would hold them all in memory).
            con.execute(f"create or replace table {NPPES_TABLE} as {select}")
            rows = _count(con, NPPES_TABLE)
        result = LoadResult(kind, path, rows, _count(con, NPPES_TABLE), time.monotonic() - started)
        record_load(con, result)
    return result


def _upsert(con: duckdb.DuckDBPyConnection, select: str) -> int:
    """Weekly file into the table: a row replaces its NPI's row unless that one was updated later. A
    weekly file may list an NPI twice: its latest Last Update Date wins there too."""
    con.execute(
        f"create or replace temp table incoming as select * from ({select}) "
        "qualify row_number() over (partition by npi order by last_update_date desc nulls last) = 1"
    )
    con.execute(
        f"delete from {NPPES_TABLE} as t using incoming as i where t.npi = i.npi "
        "and coalesce(i.last_update_date, date '0001-01-01') "
        ">= coalesce(t.last_update_date, date '0001-01-01')"
    )
    con.execute(
        f"insert into {NPPES_TABLE} by name select * from incoming anti join {NPPES_TABLE} using (npi)"
    )
    return _count(con, "incoming")


def load_order_referring(warehouse: Path, path: Path) -> LoadResult:
    """Replace `order_referring` with this file (CMS republishes the whole list each time)."""
    header = read_header(path, "Order and Referring", ORDER_REFERRING_HEADER)
    flags = ", ".join(
        f"coalesce(upper(trim({_ident(flag)})) = 'Y', false) as {flag.lower()}"
        for flag in ORDER_REFERRING_FLAGS
    )
    started = time.monotonic()
    with _connect(warehouse) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create or replace table {ORDER_REFERRING_TABLE} as "
            'select trim("NPI") as npi, nullif(trim("LAST_NAME"), \'\') as last_name, '
            f"nullif(trim(\"FIRST_NAME\"), '') as first_name, {flags} from {_reader(path, header)} "
            "where nullif(trim(\"NPI\"), '') is not null qualify row_number() over (partition by npi) = 1"
        )
        rows = _count(con, ORDER_REFERRING_TABLE)
        result = LoadResult("order_referring", path, rows, rows, time.monotonic() - started)
        record_load(con, result)
    return result


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    found = con.execute(f"select count(*) from {table}").fetchone()
    return int(found[0]) if found else 0


def record_load(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    fingerprint = Fingerprint.of(result.path)
    con.execute("create schema if not exists cadence_ops")
    con.execute(
        f"create table if not exists {LOADS_TABLE} (kind varchar, path varchar, size_bytes bigint, "
        "mtime_ns bigint, rows bigint, seconds double, loaded_at timestamptz default current_timestamp)"
    )
    con.execute(
        f"insert into {LOADS_TABLE} (kind, path, size_bytes, mtime_ns, rows, seconds) "
        "values (?, ?, ?, ?, ?, ?)",
        [
            result.kind,
            str(result.path.resolve()),
            fingerprint.size,
            fingerprint.mtime_ns,
            result.rows,
            result.seconds,
        ],
    )


def last_fingerprint(warehouse: Path, kind: Kind, path: Path) -> Fingerprint | None:
    """The fingerprint of the last load of this file into this warehouse (None: never loaded)."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not table_exists(con, LOADS_TABLE):
            return None
        found = con.execute(
            f"select size_bytes, mtime_ns from {LOADS_TABLE} where kind = ? and path = ? "
            "order by loaded_at desc limit 1",
            [kind, str(path.resolve())],
        ).fetchone()
    return Fingerprint(int(found[0]), int(found[1])) if found else None
