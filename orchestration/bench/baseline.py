"""The per-record baseline: the same API pages from the same clients, yielded to dlt one dict per record.

This is how dlt's public verified sources feed dlt (and what ours avoid by handing dlt one Arrow table
per page), with dlt's own `incremental` cursor on the modstamp as they keep it, so the side-by-side
ratio is against what users would run. dlt's cursor is not free: it hashes every record stamped at the
high-water mark to deduplicate the next run's boundary, which for records sharing one modstamp (a bulk
import, a mass update) is most of the per-record cost.
- Salesforce, as the verified source's merge resources do (dlthub.com/docs/dlt-ecosystem/
  verified-sources/salesforce: `dlt.sources.incremental("SystemModstamp")`, and its query reads
  `WHERE SystemModstamp > <last value>` ordered by it): each object reads only what changed since.
- HubSpot: the verified source lists every CRM object whole each run (its list endpoint takes no
  modstamp filter); dlt's cursor on each object's modstamp property filters the records, as its
  incremental resources do, so an unchanged night still lists every page.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ingest.config import HubSpotConfig, SalesforceConfig
from ingest.hubspot.full_sync import inline_ids, listed_pages
from ingest.hubspot.helpers import HubSpotClient, archived_pages, batched, company_ids
from ingest.hubspot.settings import OBJECTS, OWNERS, ObjectSpec
from ingest.salesforce.helpers import SalesforceClient, format_soql_datetime
from ingest.salesforce.settings import CURSOR_FIELD, MAX_PAGE_SIZE, SalesforceObject, resolve_objects
from ingest.sync_result import SyncResult

Record = dict[str, Any]


def _salesforce_resource(client: SalesforceClient, sobject: SalesforceObject) -> DltResource:
    # The fields the org has (describe, as the verified source builds its query): an optional field
    # such as NPI__c is absent from orgs without it, and a SOQL naming it is refused (INVALID_FIELD).
    present = client.field_names(sobject.name)
    fields = ", ".join(f.api_name for f in sobject.fields if f.api_name in present)
    headers = {"Sforce-Query-Options": f"batchSize={MAX_PAGE_SIZE}"}
    cursor = dlt.sources.incremental(CURSOR_FIELD)

    def records(modstamp: Any = cursor) -> Iterator[Record]:
        since = f" WHERE {CURSOR_FIELD} > {_soql_time(modstamp.last_value)}" if modstamp.last_value else ""
        soql = f"SELECT {fields} FROM {sobject.name}{since} ORDER BY {CURSOR_FIELD}, Id"
        page = client.call(lambda sf: sf.query(soql, include_deleted=True, headers=headers))
        while True:
            for record in page["records"]:
                record.pop("attributes", None)
                yield record
            if page.get("done", True):
                return
            page = client.call(partial(_more, url=page["nextRecordsUrl"], headers=headers))

    return dlt.resource(records, name=sobject.table, primary_key="Id", write_disposition="merge")


def _soql_time(stamp: str) -> str:
    """A SystemModstamp as the API returned it (2026-01-05T09:00:00.000+0000) as a SOQL literal."""
    return format_soql_datetime(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z"))


def _more(sf: Any, url: str, headers: dict[str, str]) -> Any:
    return sf.query_more(url, identifier_is_url=True, headers=headers)


def _hubspot_resource(client: HubSpotClient, spec: ObjectSpec) -> DltResource:
    properties = list(spec.columns)
    # Records missing the property still load (dlt would otherwise stop the run on them).
    cursor = dlt.sources.incremental(spec.cursor_property, on_cursor_value_missing="include")

    def records(modstamp: Any = cursor) -> Iterator[Record]:
        for archived, pages in (
            (True, archived_pages(client, spec.name, properties, None)),
            (False, listed_pages(client, spec.name, properties, ["companies"] * spec.with_company_ids)),
        ):
            for batch in batched(pages):
                companies = _companies(client, spec, batch, archived)
                for record in batch:
                    yield _flat(record, archived, companies)

    return dlt.resource(records, name=spec.name, primary_key="id", write_disposition="merge")


def _companies(
    client: HubSpotClient, spec: ObjectSpec, batch: list[Record], archived: bool
) -> dict[str, str]:
    """As our source: live records listed with their companies inline, archived ones looked up."""
    if not spec.with_company_ids:
        return {}
    if archived:
        return company_ids(client, spec.name, [r["id"] for r in batch])
    return inline_ids(client, spec.name, "companies", batch)


def _flat(record: Record, archived: bool, companies: dict[str, str]) -> Record:
    row = {"id": record["id"], **(record.get("properties") or {}), "archived": archived}
    if record["id"] in companies:
        row["company_ids"] = companies[record["id"]]
    return row


def _owners_resource(client: HubSpotClient) -> DltResource:
    def records() -> Iterator[Record]:
        for params in ({}, {"archived": "true"}):
            for page in client.list_pages("/crm/v3/owners/", params):
                yield from page

    return dlt.resource(records, name=OWNERS, primary_key="id", write_disposition="merge")


def sync_baseline(crm: str, config: SalesforceConfig | HubSpotConfig, warehouse: Path) -> SyncResult:
    """A per-record load of one CRM into `warehouse`: full the first time, from dlt's cursor after."""
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"  # dlt warns about all-null columns of dict records
    started = time.perf_counter()
    if crm == "salesforce":
        assert isinstance(config, SalesforceConfig)
        sf_client = SalesforceClient(config)
        resources = [_salesforce_resource(sf_client, o) for o in resolve_objects()]
        calls: Any = lambda: sf_client.api_calls  # noqa: E731
    else:
        assert isinstance(config, HubSpotConfig)
        hs_client = HubSpotClient(config)
        resources = [_hubspot_resource(hs_client, spec) for spec in OBJECTS.values()]
        resources.append(_owners_resource(hs_client))
        calls = lambda: hs_client.calls  # noqa: E731
    warehouse = Path(warehouse).resolve()
    pipeline = dlt.pipeline(
        pipeline_name=f"baseline_{crm}",
        pipelines_dir=str(warehouse.parent / f".dlt-{warehouse.stem}"),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=f"baseline_{crm}",
        progress=None,
    )
    pipeline.run(resources)
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    rows = {table: n for table, n in counts.items() if not table.startswith("_dlt")}
    return SyncResult(crm, rows, calls(), time.perf_counter() - started)
