"""dlt assets: one per raw table, keyed [crm, table] so the dbt sources map straight onto them.

Built by `ingest_definitions()` when the code location builds its definitions, not at import.
"""

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingest.config import HubSpotConfig, SalesforceConfig
from ingest.errors import CadenceError
from ingest.hubspot import hubspot_source
from ingest.pipeline import all_or_nothing, make_pipeline
from ingest.salesforce import salesforce_source
from orchestration.crm_blocks import SYNC_FAILED, block_crm
from orchestration.load_gate import passed_loads
from orchestration.resources import AuditSettings, HubSpotResource, SalesforceResource, WarehouseResource


class CrmTableTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        crm = data.resource.source_name
        return spec.replace_attributes(key=dg.AssetKey([crm, data.resource.name]), deps=[], group_name=crm)


def _sync(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    crm: str,
    crm_resource: SalesforceResource | HubSpotResource,
    source_factory: Callable[..., Any],
    warehouse: WarehouseResource,
    audit: AuditSettings,
    **source_options: Any,  # the CRM's own source keywords
) -> Iterator[Any]:
    config = crm_resource.crm_config()
    if config is None:
        context.log.info(f"{crm} is not audited by this run (cadence.crms): skipped")
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key, metadata={"skipped": "CRM not audited"})
        return
    pipeline = make_pipeline(crm, warehouse.target)
    # Cursors move only with a load whose raw checks passed (orchestration/load_gate.py).
    passed = passed_loads(warehouse.location, crm)
    try:
        with all_or_nothing(pipeline):
            yield from dlt.run(
                context=context,
                dlt_source=source_factory(
                    config, **audit.sync_limits(), **source_options, passed_loads=passed
                ),
                dlt_pipeline=pipeline,
                dagster_dlt_translator=CrmTableTranslator(),
            )
    except CadenceError as error:
        # Each CRM stands alone (orchestration/crm_blocks.py): the raw layer keeps its last good load
        # (all or nothing), the other CRM's night goes on, and this CRM's writeback fails with the reason.
        context.log.error(f"{crm} sync failed, its writeback is blocked: {error}")
        block_crm(warehouse.location, context.run.run_id, crm, SYNC_FAILED, str(error))
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key, metadata={"sync_failed": str(error), "rows_loaded": 0})


def _salesforce_assets() -> dg.AssetsDefinition:
    # Building a dlt source makes no network call, so the asset graph is defined from a placeholder
    # config; each run builds the source again from the configured resource.
    placeholder = SalesforceConfig(login_url="https://login.salesforce.com", client_id="-", client_secret="-")

    @_raw_tables("salesforce", salesforce_source(placeholder))
    def salesforce_raw(
        context: dg.AssetExecutionContext,
        dlt: DagsterDltResource,
        salesforce: SalesforceResource,
        warehouse: WarehouseResource,
        audit: AuditSettings,
    ) -> Iterator[Any]:
        yield from _sync(context, dlt, "salesforce", salesforce, salesforce_source, warehouse, audit)

    return salesforce_raw


def _hubspot_assets() -> dg.AssetsDefinition:
    @_raw_tables("hubspot", hubspot_source(HubSpotConfig(access_token="-")))
    def hubspot_raw(
        context: dg.AssetExecutionContext,
        dlt: DagsterDltResource,
        hubspot: HubSpotResource,
        warehouse: WarehouseResource,
        audit: AuditSettings,
    ) -> Iterator[Any]:
        options = audit.hubspot_source_options()
        yield from _sync(context, dlt, "hubspot", hubspot, hubspot_source, warehouse, audit, **options)

    return hubspot_raw


def _raw_tables(crm: str, placeholder_source: Any) -> Callable[..., dg.AssetsDefinition]:
    # dlt_assets reads only the pipeline's destination (the asset specs are made here, at once), and a
    # dlt pipeline creates its working folder when made: this placeholder's lives in a temporary folder,
    # gone before the definitions are used. Each run makes the warehouse's own pipeline (`_sync`).
    with tempfile.TemporaryDirectory(prefix="cadence-dlt-") as scratch:
        return dlt_assets(
            dlt_source=placeholder_source,
            dlt_pipeline=make_pipeline(crm, Path(scratch) / "warehouse.duckdb"),
            name=f"{crm}_raw",
            dagster_dlt_translator=CrmTableTranslator(),
            pool="warehouse",
        )


def ingest_definitions() -> dg.Definitions:
    """Both CRMs' raw-table assets."""
    assets = [_salesforce_assets(), _hubspot_assets()]
    return dg.Definitions(assets=assets, resources={"dlt": DagsterDltResource()})
