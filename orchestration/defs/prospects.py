"""Prospect writeback assets (issue 15 item 5): one per CRM, after the registry marts, in the nightly
job only when `cadence.prospect_writeback` is `dry_run` or `on` (off by default)."""

from dataclasses import asdict

import dagster as dg

from orchestration.crm_blocks import raise_if_blocked
from orchestration.defs.keys import model_key
from orchestration.resources import AuditSettings, CrmResource, WarehouseResource

CANDIDATES_KEY = model_key("new_provider_candidates")


def prospects_definitions(mode: str = "off") -> dg.Definitions:
    """The assets for `mode` (cadence.prospect_writeback): none when off; `dry_run` plans only."""
    if mode == "off":
        return dg.Definitions()
    return dg.Definitions(assets=[_asset(crm, mode == "dry_run") for crm in ("salesforce", "hubspot")])


def _asset(crm: str, dry_run: bool) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"{crm}_prospect_writeback", deps=[CANDIDATES_KEY], group_name="writeback", pool="warehouse",
        kinds={crm}, required_resource_keys={crm, "warehouse", "audit"},
    )  # fmt: skip
    def prospect_writeback(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        """This month's top registry candidates per rep created as prospect accounts with contacts."""
        from orchestration.prospects.connect import prospect_writer
        from orchestration.prospects.run import write_prospects

        resource: CrmResource = getattr(context.resources, crm)
        warehouse: WarehouseResource = context.resources.warehouse
        audit: AuditSettings = context.resources.audit
        config = resource.crm_config()
        if config is None:
            return dg.MaterializeResult(metadata={"skipped": "CRM not audited"})
        raise_if_blocked(warehouse.location, context.run.run_id, crm)
        rules = audit.rules()
        summary = write_prospects(
            prospect_writer(crm, config, rules), warehouse.location, context.run.run_id, audit.as_of_date(),
            rules, dry_run=dry_run or audit.dry_run, max_per_run=audit.max_tasks_per_run,
            allow_backdate=audit.allow_backdate,
        )  # fmt: skip
        for line in summary.planned_accounts:
            context.log.info(f"{crm} prospect{' (dry run)' if summary.dry_run else ''}: {line}")
        for error in summary.errors[:20]:
            context.log.warning(f"{crm} prospect not written (retried next run): {error}")
        metadata = {k: v for k, v in asdict(summary).items() if k not in ("errors", "planned_accounts")}
        return dg.MaterializeResult(metadata=metadata)

    return prospect_writeback
