"""dlt source for Salesforce: User, Account, Contact, Event, Task, Opportunity into `raw_salesforce`.

Each object is one merge resource on `id`, incremental on `system_modstamp`. The SOQL filter is
`SystemModstamp >= <cursor − lookback>` (ingest/cursor.py: a transaction's modstamp is its start, so a
record may commit after the cursor passed it) and the cursor drops the row versions already loaded.
`queryAll` brings deleted records as `is_deleted = true`; deletes it can no longer see (purged from
the Recycle Bin) are found by getDeleted or a key scan after the read (ingest/salesforce/deletes.py).
Every API page becomes one Arrow table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema
from dlt.extract.resource import DltResource

from ingest.config import NoInjectedArguments, SalesforceConfig
from ingest.cursor import DEFAULT_LOOKBACK_SECONDS, Cursor
from ingest.errors import CrmSchemaError
from ingest.http import governor
from ingest.key_scan import DEFAULT_KEY_SCAN_DAYS, ReadIds
from ingest.pipeline import make_pipeline, run_sync
from ingest.quarantine import Rejections, as_rejected_records, rejected_items, without_future
from ingest.salesforce import deletes
from ingest.salesforce.helpers import (
    QueryPage,
    RetryPolicy,
    SalesforceClient,
    batched,
    connect,
    format_soql_datetime,
)
from ingest.salesforce.settings import (
    CURSOR_COLUMN,
    CURSOR_FIELD,
    MAX_PAGE_SIZE,
    PRIMARY_KEY,
    SalesforceField,
    SalesforceObject,
    resolve_objects,
)
from ingest.sync_result import SyncResult
from ingest.warehouse import WarehouseLocation

logger = logging.getLogger(__name__)

ROWS_PER_ITEM = 20_000  # API pages are concatenated up to this many rows before dlt sees them


@dlt.source(name="salesforce", max_table_nesting=0, spec=NoInjectedArguments)
def salesforce_source(
    config: SalesforceConfig,
    objects: Sequence[str] | None = None,
    retry_base_seconds: float | None = None,  # default: config.retry_base_seconds
    page_size: int = MAX_PAGE_SIZE,
    extra_fields: Mapping[str, Sequence[str | SalesforceField]] | None = None,
    client: SalesforceClient | None = None,
    lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
    api_budget_reserve: float | None = None,  # None: no governor (see ingest/http.py BudgetGovernor)
    key_scan_days: float = DEFAULT_KEY_SCAN_DAYS,
    passed_loads: frozenset[str] | None = None,  # gated cursors (ingest/cursor.py); None: ungated
) -> list[DltResource]:
    """One resource per object (named after its table). Logs in lazily, at the first extracted page."""
    client = client or SalesforceClient(
        config, _retry(config, retry_base_seconds), governor("salesforce", api_budget_reserve)
    )
    specs = resolve_objects(objects, extra_fields, config.task_key_field)
    return [
        _object_resource(client, spec, page_size, lookback_seconds, key_scan_days, passed_loads)
        for spec in specs
    ]


def _retry(config: SalesforceConfig, base_seconds: float | None) -> RetryPolicy:
    return RetryPolicy(base_seconds=config.retry_base_seconds if base_seconds is None else base_seconds)


def _object_resource(
    client: SalesforceClient,
    sobject: SalesforceObject,
    page_size: int,
    lookback_seconds: float,
    key_scan_days: float,
    passed_loads: frozenset[str] | None,
) -> DltResource:
    def pages() -> Iterator[Any]:
        present = _readable_fields(client, sobject)
        state = dlt.current.resource_state()
        cursor = Cursor(state, CURSOR_COLUMN, PRIMARY_KEY, lookback_seconds, passed_loads)
        # The describe just answered: its Date is Salesforce's clock before the query.
        server_now = client.server_now()
        soql = build_soql(sobject, present, cursor.start(server_now))
        crm_now = server_now or datetime.now(UTC)
        check = deletes.plan(sobject, state, crm_now, key_scan_days)  # before the cursor moves
        read = ReadIds(wanted=check.needed)
        started, rows, rejected = time.perf_counter(), 0, []
        pages = client.query_tables(soql, sobject, page_size, seen_at=crm_now)
        kept = (read.note(table) for table in _kept_rows(pages, sobject, crm_now, cursor, rejected))
        for table in batched(kept, ROWS_PER_ITEM):
            rows += table.num_rows
            yield table
        yield from deletes.marked_deletes(client, sobject, check, state, crm_now, read)
        quarantined = rejected_items(rejected)
        if quarantined is not None:
            logger.warning("salesforce %s: %d values rejected", sobject.table, quarantined.num_rows)
            yield as_rejected_records(quarantined)
        cursor.save()
        logger.info(
            "salesforce %s: %d rows read in %.1f s", sobject.table, rows, time.perf_counter() - started
        )

    return dlt.resource(
        pages,
        name=sobject.table,
        primary_key=PRIMARY_KEY,
        write_disposition="merge",
        columns=column_hints(sobject),
    )


def _kept_rows(
    pages: Iterator[QueryPage],
    sobject: SalesforceObject,
    crm_now: datetime | None,
    cursor: Cursor,
    rejected: list[pa.Table | None],
) -> Iterator[pa.Table]:
    """The rows to load: not stamped in the future (quarantined, see ingest/quarantine.py), not loaded
    before; every rejection goes to `rejected`."""
    for page in pages:
        future = Rejections(sobject.name, crm_now)
        table = without_future(page.table, CURSOR_COLUMN, crm_now, future, PRIMARY_KEY)
        rejected += [page.rejected, future.table()]
        yield cursor.new_rows(table)


def _readable_fields(client: SalesforceClient, sobject: SalesforceObject) -> set[str]:
    """The settings' fields the org has; a missing required field stops the sync before any load."""
    org_fields = client.field_names(sobject.name)
    for field in sobject.fields:
        if field.required and field.api_name not in org_fields:
            raise CrmSchemaError(
                f"Salesforce object {sobject.name} has no field {field.api_name} (or the integration user "
                "cannot see it): grant field-level access or make it optional in ingest/salesforce/settings"
            )
    return {f.api_name for f in sobject.fields if f.api_name in org_fields}


def build_soql(sobject: SalesforceObject, present: set[str], since: Any) -> str:
    """SELECT the readable fields, from the cursor on (inclusive), in cursor order with a stable tie-break."""
    fields = ", ".join(f.api_name for f in sobject.fields if f.api_name in present)
    where = f" WHERE {CURSOR_FIELD} >= {format_soql_datetime(since)}" if since is not None else ""
    return f"SELECT {fields} FROM {sobject.name}{where} ORDER BY {CURSOR_FIELD}, Id"


def column_hints(sobject: SalesforceObject) -> dict[str, TColumnSchema]:
    """Only what an Arrow schema cannot say: names, types and nullability come with every page.

    (dlt re-validates resource hints on every page, so a full column list would cost ~5 ms a page.)
    """
    # A record modified while we page can come twice in one sync: the merge keeps its newest version.
    return {CURSOR_COLUMN: {"dedup_sort": "desc"}}


def sync_salesforce(
    config: SalesforceConfig,
    warehouse: Path | WarehouseLocation,
    progress: bool = False,
    objects: Sequence[str] | None = None,
    retry_base_seconds: float | None = None,  # default: config.retry_base_seconds
    page_size: int = MAX_PAGE_SIZE,
    extra_fields: Mapping[str, Sequence[str | SalesforceField]] | None = None,
    lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
    api_budget_reserve: float | None = None,
    key_scan_days: float = DEFAULT_KEY_SCAN_DAYS,
    passed_loads: frozenset[str] | None = None,
) -> SyncResult:
    """Load the org into `raw_salesforce` of `warehouse`; all or nothing, errors as one-line CadenceErrors."""
    client = SalesforceClient(
        config, _retry(config, retry_base_seconds), governor("salesforce", api_budget_reserve)
    )
    source = salesforce_source(
        config,
        objects,
        retry_base_seconds,
        page_size,
        extra_fields,
        client=client,
        lookback_seconds=lookback_seconds,
        key_scan_days=key_scan_days,
        passed_loads=passed_loads,
    )
    pipeline = make_pipeline("salesforce", warehouse)
    result = run_sync("salesforce", pipeline, source, lambda: client.api_calls, progress)
    # Every object's table is listed, an unchanged one with 0 rows.
    tables = sorted(s.table for s in resolve_objects(objects, None, config.task_key_field))
    return replace(result, rows_by_table={table: result.rows_by_table.get(table, 0) for table in tables})


__all__ = ["build_soql", "column_hints", "connect", "salesforce_source", "sync_salesforce"]
