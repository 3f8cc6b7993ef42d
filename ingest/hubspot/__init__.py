"""HubSpot → DuckDB raw layer (`raw_hubspot`), incremental through the CRM search API.

One resource per raw table (companies, contacts, meetings, tasks, deals, owners), merged on `id`.
The first sync of an object lists every record with its companies inline (ingest/hubspot/full_sync.py:
no 5/s search limit, no 10,000-result cap). After it, CRM objects are read with the search API,
sorted by each object's cursor property (`ObjectSpec.cursor_property`: `lastmodifieddate` for
contacts, `hs_lastmodifieddate` otherwise) and filtered GTE the cursor minus the lookback
(ingest/cursor.py: search lags writes); the cursor drops row versions already loaded, so an unchanged
sync loads nothing. Search windows are restarted before the 10,000-result cap.

Archived records: the search API never returns them, so every sync first lists
`GET /crm/v3/objects/{type}?archived=true` and merges those records with `archived = true` through the
same incremental filter. Archiving is the record's latest change, so an archived row's
`hs_lastmodifieddate` is the later of that property and `archivedAt` (HubSpot does not always bump the
property on archive); archivals already loaded are therefore not reloaded. Listing archived records
before searching keeps the cursor from jumping past changes the search has not read yet. Records
gone from both lists (permanently deleted, or archived past HubSpot's retention) are found by the key
scan after the read (ingest/hubspot/deletes.py).

Associations: an association change does not move a record's modstamp on a real portal, so every
incremental sync then re-reads the companies (and contacts) of the stored rows whose links decide a mart
(ingest/hubspot/associations.py) and merges the changed ones through the same load.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from ingest.config import HubSpotConfig, NoInjectedArguments
from ingest.cursor import DEFAULT_LOOKBACK_SECONDS, Cursor
from ingest.errors import CrmSchemaError
from ingest.http import governor
from ingest.hubspot import deletes
from ingest.hubspot.associations import AssociationReread, meetings_reread_start
from ingest.hubspot.full_sync import inline_ids, listed_pages
from ingest.hubspot.helpers import (
    OWNERS_SCHEMA,
    ChangedRecords,
    HubSpotClient,
    Record,
    archived_pages,
    associated_ids,
    batched,
    column_hints,
    convert,
    object_schema,
    owners_to_table,
    prefetched,
    records_to_table,
    to_epoch_ms,
)
from ingest.hubspot.settings import DEFAULT_OBJECTS, MODSTAMP, OBJECTS, OWNERS, OWNERS_CURSOR, ObjectSpec
from ingest.key_scan import DEFAULT_KEY_SCAN_DAYS, ReadIds
from ingest.pipeline import make_pipeline, run_sync
from ingest.quarantine import Rejections, as_rejected_records, rejected_items, without_future
from ingest.sync_result import SyncResult
from ingest.warehouse import WarehouseLocation

__all__ = ["HubSpotClient", "hubspot_source", "sync_hubspot"]

CRM = "hubspot"
logger = logging.getLogger(__name__)


@dlt.source(name=CRM, max_table_nesting=0, spec=NoInjectedArguments)
def hubspot_source(
    config: HubSpotConfig,
    objects: Sequence[str] | None = None,
    retry_base_seconds: float | None = None,  # default: config.retry_base_seconds
    client: HubSpotClient | None = None,
    lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
    api_budget_reserve: float | None = None,  # None: no governor (see ingest/http.py BudgetGovernor)
    reread_meetings_since: date | None = None,  # None: the CRM's clock − the default share window
    key_scan_days: float = DEFAULT_KEY_SCAN_DAYS,
    passed_loads: frozenset[str] | None = None,  # gated cursors (ingest/cursor.py); None: ungated
) -> Any:
    """Resources for `objects` (default: all tables). Building the source makes no network call.

    `client` lets a caller share one client (and its call counter) with the source.
    `reread_meetings_since`: meetings with a visit date from then on get their companies re-read
    every incremental sync (ingest/hubspot/associations.py).
    """
    selected = list(objects or DEFAULT_OBJECTS)
    unknown = sorted(set(selected) - set(DEFAULT_OBJECTS))
    if unknown:
        raise CrmSchemaError(f"Unknown HubSpot objects {unknown}: choose from {list(DEFAULT_OBJECTS)}")
    client = client or HubSpotClient(config, retry_base_seconds, budget=governor(CRM, api_budget_reserve))
    return [
        _owners_resource(client)
        if name == OWNERS
        else _object_resource(
            client,
            OBJECTS[name],
            config,
            lookback_seconds,
            reread_meetings_since,
            key_scan_days,
            passed_loads,
        )
        for name in selected
    ]


def _object_resource(
    client: HubSpotClient,
    spec: ObjectSpec,
    config: HubSpotConfig,
    lookback_seconds: float,
    reread_meetings_since: date | None,
    key_scan_days: float,
    passed_loads: frozenset[str] | None,
) -> Any:
    schema = object_schema(spec)
    property_of_column = {"cadence_task_key": config.task_key_property, **spec.property_of_column}
    cursor_property = spec.cursor_property

    def read() -> Iterator[pa.Table]:
        properties = _requested_properties(client, spec, property_of_column)
        state = dlt.current.resource_state()
        cursor = Cursor(state, MODSTAMP, "id", lookback_seconds, passed_loads)
        # The properties call just answered: its Date is HubSpot's clock before the searches.
        server_now = client.server_now()
        since = cursor.start(server_now)
        crm_now = server_now or datetime.now(UTC)
        check = deletes.plan(spec, state, crm_now, key_scan_days)  # before the cursor moves
        read = ReadIds(wanted=check.needed)
        since_ms = to_epoch_ms(since) if since is not None else None
        first = cursor.saved_at is None
        # A first sync reads every association: only incremental syncs re-read them.
        reread = None
        if not first:
            meetings_from = meetings_reread_start(reread_meetings_since, client.server_now())
            reread = AssociationReread.of(client, spec, schema, meetings_from)
        live = (
            listed_pages(client, spec.name, properties, list(spec.association_columns.values()))
            if first
            else ChangedRecords(client, spec.name, properties, cursor_property).pages(since_ms)
        )
        # Archived first: see the module doc on why that order keeps the cursor honest.
        pages_by_flag = (
            (True, archived_pages(client, spec.name, properties, since_ms, cursor_property)),
            (False, live),
        )
        rejected: list[pa.Table | None] = []
        # The search re-reads the lookback margin; drop row versions loaded before, ahead of the
        # association lookup, so an unchanged sync costs one search per object and nothing more.
        for archived, pages in pages_by_flag:
            inline = first and not archived  # listed with their associations
            for batch in batched(prefetched(pages)):
                rejections = Rejections(spec.name, crm_now)
                table = records_to_table(batch, schema, property_of_column, archived, rejections)
                table = _archival_as_modstamp(table, batch) if archived else table
                table = cursor.new_rows(without_future(table, MODSTAMP, crm_now, rejections))
                rejected.append(rejections.table())
                if read.note(table).num_rows:
                    if reread is not None:
                        reread.note(table)
                    yield _with_associations(client, spec, table, batch if inline else None)
        if reread is not None:
            yield from reread.rows()
        yield from deletes.marked_deletes(client, spec, schema, check, state, crm_now, read)
        quarantined = rejected_items(rejected)
        if quarantined is not None:
            logger.warning("hubspot %s: %d values rejected", spec.name, quarantined.num_rows)
            yield as_rejected_records(quarantined)
        cursor.save()

    return dlt.resource(
        read, name=spec.name, primary_key="id", write_disposition="merge", columns=column_hints(schema)
    )


def _with_associations(
    client: HubSpotClient, spec: ObjectSpec, table: pa.Table, listed: list[Record] | None = None
) -> pa.Table:
    """Fill `company_ids` (and `contact_ids`) from the `listed` records' inline associations, else
    from the associations API (one call per associated type and page batch of up to 1,000 ids)."""
    ids = table["id"].to_pylist()
    for column, to_type in spec.association_columns.items():
        if listed is not None:
            linked = inline_ids(client, spec.name, to_type, listed)
        else:
            linked = associated_ids(client, spec.name, to_type, ids)
        values = pa.array([linked.get(record_id, "") for record_id in ids], pa.string())
        table = table.set_column(table.schema.get_field_index(column), column, values)
    return table


def _requested_properties(
    client: HubSpotClient, spec: ObjectSpec, property_of_column: dict[str, str]
) -> list[str]:
    """The spec's properties; optional custom ones only when the portal defines them."""
    wanted = [property_of_column.get(column, column) for column in spec.columns]
    optional = {property_of_column.get(column, column) for column in spec.optional}
    existing = client.property_names(spec.name)
    return [prop for prop in wanted if prop not in optional or prop in existing]


def _archival_as_modstamp(table: pa.Table, records: list[Record]) -> pa.Table:
    """Archived rows: modstamp = the later of hs_lastmodifieddate and archivedAt (see module doc)."""
    stamps = pa.array([record.get("archivedAt") for record in records], pa.string())
    archived_at = convert(stamps, table.schema.field(MODSTAMP).type)
    modstamp = table[MODSTAMP].combine_chunks()
    archived_later = pc.fill_null(pc.greater(archived_at, modstamp), False)
    latest = pc.if_else(archived_later, archived_at, pc.coalesce(modstamp, archived_at))
    return table.set_column(table.schema.get_field_index(MODSTAMP), MODSTAMP, latest)


def _owners_resource(client: HubSpotClient) -> Any:
    def read(
        updated: dlt.sources.incremental[Any] = dlt.sources.incremental(OWNERS_CURSOR),  # noqa: B008
    ) -> Iterator[pa.Table]:
        for archived in (False, True):
            params = {"archived": "true"} if archived else {}
            for page in client.list_pages("/crm/v3/owners/", params):
                # Not past the portal's clock: dlt's incremental would never load an older stamp again.
                yield _owners_not_in_future(client, owners_to_table(page, archived))

    return dlt.resource(
        read, name=OWNERS, primary_key="id", write_disposition="merge", columns=column_hints(OWNERS_SCHEMA)
    )


def _owners_not_in_future(client: HubSpotClient, table: pa.Table) -> pa.Table:
    """Owners stamped after the portal's clock are left out and logged (their own resource carries
    dlt's incremental, which cannot take the rejected-records variant: it has no `updated_at`)."""
    future = Rejections(OWNERS, client.server_now())
    kept = without_future(table, OWNERS_CURSOR, client.server_now(), future)
    rejected = future.table()
    for row in rejected.to_pylist() if rejected is not None else []:
        logger.warning(
            "hubspot owner %s quarantined: its updatedAt %s is in the future", row["id"], row["value"]
        )
    return kept


def sync_hubspot(
    config: HubSpotConfig,
    warehouse: Path | WarehouseLocation,
    progress: bool = False,
    objects: Sequence[str] | None = None,
    retry_base_seconds: float | None = None,  # default: config.retry_base_seconds
    lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
    api_budget_reserve: float | None = None,
    reread_meetings_since: date | None = None,  # see hubspot_source
    key_scan_days: float = DEFAULT_KEY_SCAN_DAYS,
    passed_loads: frozenset[str] | None = None,
) -> SyncResult:
    """Load the portal into `raw_hubspot` of `warehouse`; on any error the warehouse is unchanged.

    Errors surface as one-line CadenceErrors (dlt's PipelineStepFailed is unwrapped).
    """
    client = HubSpotClient(config, retry_base_seconds, budget=governor(CRM, api_budget_reserve))
    source = hubspot_source(
        config,
        objects,
        retry_base_seconds,
        client=client,
        lookback_seconds=lookback_seconds,
        reread_meetings_since=reread_meetings_since,
        key_scan_days=key_scan_days,
        passed_loads=passed_loads,
    )
    try:
        return run_sync(CRM, make_pipeline(CRM, warehouse), source, lambda: client.calls, progress)
    finally:
        client.close()
