"""Marketing's list as files (issue 15 item 6): marts.marketing_top_accounts as CSV (for a spreadsheet, a
HubSpot / Salesforce import) and Parquet (for a BI tool), typed as the mart. The mart is read once as
Arrow through the warehouse interface and written by pyarrow: one code path for DuckDB and PostgreSQL
(issue 16), no file written by the database server (PostgreSQL's COPY TO a file writes on the server).

One folder holds, per export:
- `marketing-top-accounts.csv` / `.parquet`: every territory, the territory columns first;
- `marketing-top-accounts-<rep>.csv` / `.parquet`: one pair per territory (a rep), the file a rep's
  marketing contact opens. `<rep>` is the rep's name in lower case with dashes; two reps of one name
  get their person key appended, so no file ever holds two territories.
The files of the previous export (that file name pattern only) are removed first: a rep who left leaves
no stale list behind, and no other file in the folder is touched.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import UsageError
from ingest.local_state import outputs_folder
from ingest.warehouse import WarehouseArg, WarehouseLocation, connect, exists

if TYPE_CHECKING:
    import pyarrow as pa

MART = "marts.marketing_top_accounts"
STEM = "marketing-top-accounts"
FORMATS = ("csv", "parquet")
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


def default_export_folder(warehouse: WarehouseArg) -> Path:
    """exports/marketing in the run's outputs folder, as the reports are (var/exports/marketing for
    var/warehouse.duckdb; ingest/local_state.py)."""
    return outputs_folder(warehouse) / "exports" / "marketing"


def export_marketing(warehouse: WarehouseArg, folder: Path) -> MarketingExport:
    """Write the list's files into `folder`; UsageError (one line) when the warehouse or mart is missing."""
    table = _read_mart(WarehouseLocation.parse(warehouse))
    keys, names = table["territory_key"].to_pylist(), table["territory_name"].to_pylist()
    territories = dict(zip(keys, names, strict=True))  # rows of one key share its name (a person's)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_previous(folder)
    files = _write(table, folder / STEM)
    for key, stem in territory_stems(list(territories.items())).items():
        files += _write(_territory(table, key), folder / stem)
    return MarketingExport(folder, len(territories), table.num_rows, tuple(files))


def _read_mart(location: WarehouseLocation) -> pa.Table:
    """The whole mart in the files' order (one read: the per-territory files are slices of it)."""
    if not exists(location):
        raise UsageError(f"warehouse {location} not found; run `cadence demo` or `cadence run` first")
    if location.path is not None and location.path.stat().st_size == 0:
        raise _no_mart(location)  # a file just created, that DuckDB cannot open read-only
    with connect(location, read_only=True) as con:
        if not con.table_exists(MART):
            raise _no_mart(location)
        return con.fetch_arrow(f"select * from {MART} {_ORDER}")


def _no_mart(warehouse: WarehouseLocation) -> UsageError:
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


def _territory(table: pa.Table, key: str) -> pa.Table:
    import pyarrow.compute as pc

    return table.filter(pc.equal(table["territory_key"], key))


def _write(table: pa.Table, stem: Path) -> list[Path]:
    """`stem`.csv and `stem`.parquet. The CSV as DuckDB's COPY wrote it: a header line of bare names
    (pyarrow would quote every name), nulls as empty fields, quotes only where a value needs them."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as parquet

    csv_path, parquet_path = (stem.with_name(f"{stem.name}.{suffix}") for suffix in FORMATS)
    with csv_path.open("wb") as handle:
        handle.write(_csv_line(table.column_names).encode())
        pa_csv.write_csv(table, handle, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    parquet.write_table(table, parquet_path)
    return [csv_path, parquet_path]


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _remove_previous(folder: Path) -> None:
    for suffix in FORMATS:
        for path in folder.glob(f"{STEM}*.{suffix}"):
            path.unlink()
