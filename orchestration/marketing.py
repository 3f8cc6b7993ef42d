"""Marketing's list as files (issue 15 item 6): marts.marketing_top_accounts written by DuckDB's COPY as
CSV (for a spreadsheet, a HubSpot / Salesforce import) and Parquet (for a BI tool), typed as the mart.

One folder holds, per export:
- `marketing-top-accounts.csv` / `.parquet`: every territory, the territory columns first;
- `marketing-top-accounts-<rep>.csv` / `.parquet`: one pair per territory (a rep), the file a rep's
  marketing contact opens. `<rep>` is the rep's name in lower case with dashes; two reps of one name
  get their person key appended, so no file ever holds two territories.
The files of the previous export (that file name pattern only) are removed first: a rep who left leaves
no stale list behind, and no other file in the folder is touched.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.errors import UsageError
from ingest.tables import table_exists

MART = "marts.marketing_top_accounts"
STEM = "marketing-top-accounts"
FORMATS = {"csv": "(format csv, header)", "parquet": "(format parquet)"}
_ORDER = "order by territory_name, territory_key, marketing_rank"


@dataclass(frozen=True)
class MarketingExport:
    folder: Path
    territories: int
    rows: int
    files: tuple[Path, ...]

    def describe(self) -> str:
        return (
            f"marketing list: {self.rows:,} rows in {self.territories:,} territories, "
            f"{len(self.files)} files in {self.folder}"
        )


def default_export_folder(warehouse: Path) -> Path:
    """Beside the warehouse, as the reports are: var/exports/marketing for var/warehouse.duckdb."""
    return warehouse.resolve().parent / "exports" / "marketing"


def export_marketing(warehouse: Path, folder: Path) -> MarketingExport:
    """Write the list's files into `folder`; UsageError (one line) when the warehouse or mart is missing."""
    if not warehouse.is_file():
        raise UsageError(f"warehouse {warehouse} not found; run `cadence demo` or `cadence run` first")
    if warehouse.stat().st_size == 0:  # a file just created, that DuckDB cannot open read-only
        raise _no_mart(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not table_exists(con, MART):
            raise _no_mart(warehouse)
        territories = con.execute(
            f"select territory_key, any_value(territory_name), count(*) from {MART} group by 1 order by 1"
        ).fetchall()
        folder.mkdir(parents=True, exist_ok=True)
        _remove_previous(folder)
        files = _copy(con, folder / STEM, f"select * from {MART} {_ORDER}", [])
        for key, stem in territory_stems([(key, name) for key, name, _ in territories]).items():
            query = f"select * from {MART} where territory_key = ? {_ORDER}"
            files += _copy(con, folder / stem, query, [key])
    return MarketingExport(folder, len(territories), sum(row[2] for row in territories), tuple(files))


def _no_mart(warehouse: Path) -> UsageError:
    return UsageError(f"warehouse {warehouse} has no {MART} yet; run `cadence run` (or `cadence demo`) first")


def territory_stems(territories: list[tuple[str, str | None]]) -> dict[str, str]:
    """Territory key -> its file name without suffix: the rep's name, plus the key when names repeat."""
    names = {key: _slug(name or "") or _slug(key) for key, name in territories}
    repeats = Counter(names.values())
    return {
        key: f"{STEM}-{name}" if repeats[name] == 1 else f"{STEM}-{name}-{_slug(key)}"
        for key, name in names.items()
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _copy(con: duckdb.DuckDBPyConnection, stem: Path, query: str, params: list[str]) -> list[Path]:
    written = []
    for suffix, options in FORMATS.items():
        path = stem.with_name(f"{stem.name}.{suffix}")
        target = str(path).replace("'", "''")  # COPY takes the file as a literal, not a parameter
        con.execute(f"copy ({query}) to '{target}' {options}", params)
        written.append(path)
    return written


def _remove_previous(folder: Path) -> None:
    for suffix in FORMATS:
        for path in folder.glob(f"{STEM}*.{suffix}"):
            path.unlink()
