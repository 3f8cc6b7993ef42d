"""The dlt pipeline that loads one CRM into the warehouse's raw layer."""

from __future__ import annotations

from pathlib import Path

import dlt


def raw_dataset(crm: str) -> str:
    return f"raw_{crm}"


def make_pipeline(crm: str, warehouse: Path) -> dlt.Pipeline:
    """A pipeline whose working folder sits beside the warehouse it loads.

    Two warehouses must never share an incremental cursor (the second one would silently miss
    history), so the state lives next to the DuckDB file, not in ~/.dlt.
    """
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"cadence_{crm}",
        pipelines_dir=str(warehouse.parent / f".dlt-{warehouse.stem}"),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=raw_dataset(crm),
        progress=None,
    )
