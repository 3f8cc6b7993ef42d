"""Writeback assets: one per CRM, reading marts.overdue_visit_tasks and writing tasks for reps."""

from collections.abc import Callable
from dataclasses import asdict

import dagster as dg

from ingest.config import HubSpotConfig, SalesforceConfig
from orchestration.crm_blocks import raise_if_blocked
from orchestration.defs.keys import model_key
from orchestration.resources import AuditSettings, HubSpotResource, SalesforceResource, WarehouseResource
from orchestration.writeback.actions import read_queue
from orchestration.writeback.guards import guarded_queue, record_night
from orchestration.writeback.ledger import Ledger
from orchestration.writeback.run import TaskWriter, write_back

QUEUE_KEY = model_key("overdue_visit_tasks")


# The CRM clients (simple-salesforce and its SOAP stack, the HubSpot client) load when a run writes,
# not when the code location imports this module.
def _salesforce_writer(config: SalesforceConfig) -> TaskWriter:
    from ingest.salesforce.helpers import connect
    from orchestration.writeback.salesforce import SalesforceTaskWriter

    return SalesforceTaskWriter(connect(config), config.task_key_field)


def _hubspot_writer(config: HubSpotConfig) -> TaskWriter:
    from ingest.hubspot.helpers import HubSpotClient
    from orchestration.writeback.hubspot import HubSpotTaskWriter

    return HubSpotTaskWriter(HubSpotClient(config), config.task_key_property)


def _write_back_crm(
    context: dg.AssetExecutionContext,
    crm: str,
    make_writer: Callable[[], TaskWriter] | None,
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> dg.MaterializeResult:
    if make_writer is None:
        context.log.info(f"{crm} is not audited by this run (cadence.crms): writeback skipped")
        return dg.MaterializeResult(metadata={"skipped": "CRM not audited"})
    raise_if_blocked(warehouse.location, context.run.run_id, crm)  # its sync or raw checks failed tonight
    queue, backdated = guarded_queue(  # date guards: a backdated run writes nothing; a queue jump stops
        warehouse.location, crm, read_queue(warehouse.location, crm), audit.as_of_date(), audit.rules(),
        audit.allow_backdate, audit.allow_queue_jump,
    )  # fmt: skip
    ledger = Ledger.open(warehouse.location, context.run.run_id, crm)
    try:
        summary = write_back(make_writer(), queue, ledger, audit.max_tasks_per_run, audit.dry_run)
    finally:
        ledger.close()
    if backdated:
        context.log.warning(f"{crm}: the as-of is before the last run's (--allow-backdate): no task written")
    elif not audit.dry_run:
        record_night(warehouse.location, context.run.run_id, crm, audit.as_of_date(), summary.created,
                     summary.closed)  # fmt: skip
    for error in summary.errors[:20]:
        context.log.warning(f"{crm} task not written (retried next run): {error}")
    metadata = {k: v for k, v in asdict(summary).items() if k != "errors"}
    if backdated:
        metadata["backdated"] = True  # the run summary says why nothing was written
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(deps=[QUEUE_KEY], group_name="writeback", pool="warehouse", kinds={"salesforce"})
def salesforce_task_writeback(
    context: dg.AssetExecutionContext,
    salesforce: SalesforceResource,
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> dg.MaterializeResult:
    """Overdue-visit Tasks created for account owners, and the pipeline's own Tasks closed."""
    config = salesforce.crm_config()
    make_writer = (lambda: _salesforce_writer(config)) if config else None
    return _write_back_crm(context, "salesforce", make_writer, warehouse, audit)


@dg.asset(deps=[QUEUE_KEY], group_name="writeback", pool="warehouse", kinds={"hubspot"})
def hubspot_task_writeback(
    context: dg.AssetExecutionContext,
    hubspot: HubSpotResource,
    warehouse: WarehouseResource,
    audit: AuditSettings,
) -> dg.MaterializeResult:
    """Overdue-visit tasks created in HubSpot (associated with the company), and its own ones completed."""
    config = hubspot.crm_config()
    make_writer = (lambda: _hubspot_writer(config)) if config else None
    return _write_back_crm(context, "hubspot", make_writer, warehouse, audit)


defs = dg.Definitions(assets=[salesforce_task_writeback, hubspot_task_writeback])
