"""The dlt pipeline that loads one CRM into the warehouse's raw layer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt

from ingest.errors import CadenceError
from ingest.local_state import working_dir
from ingest.sync_result import SyncResult
from ingest.warehouse import WarehouseLocation

logger = logging.getLogger(__name__)


def raw_dataset(crm: str) -> str:
    return f"raw_{crm}"


def make_pipeline(crm: str, warehouse: Path | str | WarehouseLocation) -> dlt.Pipeline:
    """A pipeline into the warehouse (a DuckDB file or a postgresql:// URL), its working folder the
    warehouse's own (ingest/local_state.py), not ~/.dlt: two warehouses never share a cursor.

    The dataset is `raw_<crm>` on both engines: a DuckDB schema or a PostgreSQL schema of that name.
    """
    location = WarehouseLocation.parse(warehouse)
    pipelines_dir = working_dir(location, "dlt")
    pipelines_dir.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"cadence_{crm}",
        pipelines_dir=str(pipelines_dir),
        destination=_destination(location),
        dataset_name=raw_dataset(crm),
        progress=None,
    )


def _destination(location: WarehouseLocation) -> Any:
    if location.path is not None:
        return dlt.destinations.duckdb(str(Path(location.path).resolve()))
    # dlt parses credentials as an SQLAlchemy-style URL, which knows only the `postgresql` scheme
    # (libpq also accepts `postgres`). Named, so dlt's messages say "cadence_warehouse", not the URL.
    url = re.sub(r"^postgres(ql)?://", "postgresql://", location.url or "", flags=re.IGNORECASE)
    return dlt.destinations.postgres(credentials=url, destination_name="cadence_warehouse")


def cadence_cause(error: BaseException) -> CadenceError | None:
    """The CadenceError inside dlt's wrappers (PipelineStepFailed, ResourceExtractionError), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, CadenceError):
            return current
        seen.add(id(current))
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return None


@contextmanager
def all_or_nothing(pipeline: dlt.Pipeline) -> Iterator[None]:
    """Around a pipeline run: on failure drop the half-extracted package (dlt would load it with the
    next run, so the warehouse would change after all) and raise the one-line CadenceError inside."""
    try:
        yield
    except Exception as error:
        try:
            pipeline.abort_packages()
        except Exception:  # never hide the sync's own error behind a cleanup failure
            logger.warning("could not abort the failed run's pending dlt packages", exc_info=True)
        cause = cadence_cause(error)
        if cause is None:
            raise
        raise cause.with_traceback(cause.__traceback__) from None


def run_sync(
    crm: str, pipeline: dlt.Pipeline, source: Any, api_calls: Callable[[], int], progress: bool = False
) -> SyncResult:
    """Run `source` into the pipeline's raw dataset, all or nothing; rows per table and calls made."""
    if progress:
        pipeline.collector = dlt.progress.log(log_period=5.0, dump_system_stats=False)
    started = time.perf_counter()
    with all_or_nothing(pipeline):
        pipeline.run(source)
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    rows = {table: count for table, count in sorted(counts.items()) if not table.startswith("_dlt")}
    analyze_loaded_tables(pipeline, [table for table, count in rows.items() if count])
    return SyncResult(crm, rows, api_calls(), time.perf_counter() - started)


def analyze_loaded_tables(pipeline: dlt.Pipeline, tables: list[str]) -> None:
    """PostgreSQL plans from table statistics, which a fresh load lacks until autovacuum's next round
    (postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-STATISTICS): dbt's build right
    after would plan 10k accounts as 25 rows and join them to 100k visits in a nested loop (minutes
    instead of seconds at 10k accounts). ANALYZE samples each loaded table (~0.1 s). DuckDB keeps
    its statistics as it writes."""
    if not tables or pipeline.destination.destination_type != "dlt.destinations.postgres":
        return
    with pipeline.sql_client() as client:
        for table in tables:
            client.execute_sql(f"ANALYZE {client.make_qualified_table_name(table)}")
