"""The dlt pipeline that loads one CRM into the warehouse's raw layer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt

from ingest.errors import CadenceError
from ingest.sync_result import SyncResult

logger = logging.getLogger(__name__)


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
    return SyncResult(crm, rows, api_calls(), time.perf_counter() - started)
