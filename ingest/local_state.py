"""Where this machine keeps a warehouse's working files: dlt's pipeline folder (its pending load
packages and a cache of its state) and dbt's target folder (its partial-parse cache).

Each warehouse has its own folder, so two warehouses never share an incremental cursor (the second
one would silently miss history) nor a parse cache. A DuckDB warehouse keeps them beside its file. A
PostgreSQL warehouse has no file: they go under $CADENCE_STATE_DIR (default `var/`), one folder per
server and database. That folder is only a cache: dlt's state of record lives in the database
(`_dlt_pipeline_state`), and a run restores it from there when it is newer, and wipes the local one
when the dataset is gone from the database (dlt `Pipeline.sync_destination`, which `run` calls first:
dlthub.com/docs/general-usage/state#syncing-state-with-destination), so a recreated database never
inherits an old cursor.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from ingest.warehouse import WarehouseLocation

STATE_DIR_ENV = "CADENCE_STATE_DIR"
DEFAULT_STATE_DIR = "var"


def outputs_folder(warehouse: str | Path | WarehouseLocation) -> Path:
    """The folder a run writes what people read into (its log, the Data Docs, reports, exports): a
    DuckDB warehouse's own folder (var/ for var/warehouse.duckdb); for a PostgreSQL warehouse, which has
    no folder, $CADENCE_STATE_DIR (default var/ of the working directory)."""
    location = WarehouseLocation.parse(warehouse)
    if location.path is not None:
        return Path(location.path).resolve().parent
    return _state_root()


def _state_root() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR).resolve()


def working_dir(warehouse: str | Path | WarehouseLocation, kind: str) -> Path:
    """`kind` ('dlt', 'dbt')'s folder for this warehouse, e.g. var/.dlt-warehouse beside
    var/warehouse.duckdb, or $CADENCE_STATE_DIR/.dlt-pg-db.example.com-5432-cadence."""
    location = WarehouseLocation.parse(warehouse)
    if location.path is not None:
        path = Path(location.path).resolve()
        return path.parent / f".{kind}-{path.stem}"
    return _state_root() / f".{kind}-pg-{_server_and_database(location)}"


def _server_and_database(location: WarehouseLocation) -> str:
    """host-port-database, safe as a folder name (never the user or the password)."""
    parts = urlsplit(location.url or "")
    name = f"{parts.hostname}-{parts.port or 5432}-{parts.path.strip('/')}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)
