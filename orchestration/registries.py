"""Loading the public registries into a warehouse: what `cadence registries load` and the Dagster asset
share. The files' layouts and the loaders are ingest/registries; this decides what to (re)load."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ingest.registries.load import (
    Fingerprint,
    Kind,
    LoadResult,
    last_fingerprint,
    load_nppes,
    load_order_referring,
)
from ingest.warehouse import WarehouseLocation, refuse_registries_on_postgres


def load_registries(
    warehouse: Path | WarehouseLocation,
    nppes: Path | None = None,
    nppes_weekly: Sequence[Path] = (),
    order_referring: Path | None = None,
    only_changed: bool = False,
) -> list[LoadResult]:
    """Load the given files: the full NPPES file first, then the weekly ones in the order given (each
    upserts: the later Last Update Date wins), then Order and Referring. `only_changed`: skip a file
    whose size and mtime are those of its last load into this warehouse (the nightly asset)."""
    planned: list[tuple[Kind, Path]] = []
    if nppes is not None:
        planned.append(("nppes", nppes))
    planned += [("nppes_weekly", path) for path in nppes_weekly]
    if order_referring is not None:
        planned.append(("order_referring", order_referring))
    if not planned:
        return []
    refuse_registries_on_postgres(warehouse)
    warehouse = WarehouseLocation.parse(warehouse).path or Path()  # a DuckDB file from here on
    reloaded_nppes = False
    results = []
    for kind, path in planned:
        unchanged = (
            only_changed
            and path.is_file()
            and last_fingerprint(warehouse, kind, path) == Fingerprint.of(path)
        )
        # The weekly files upsert onto the full file: a reloaded full file reloads them too.
        if unchanged and not (reloaded_nppes and kind == "nppes_weekly"):
            continue
        reloaded_nppes = reloaded_nppes or kind != "order_referring"
        results.append(_load(warehouse, kind, path))
    return results


def _load(warehouse: Path, kind: Kind, path: Path) -> LoadResult:
    if kind == "order_referring":
        return load_order_referring(warehouse, path)
    return load_nppes(warehouse, path, weekly=kind == "nppes_weekly")


def describe(result: LoadResult) -> str:
    rate = result.rows / result.seconds if result.seconds else 0.0
    return (
        f"{result.kind}: {result.rows:,} rows from {result.path.name} in {result.seconds:.1f} s "
        f"({rate:,.0f} rows/s); table now {result.table_rows:,} rows"
    )
