"""Where each CRM shows an account, so the report can link every account to its record.

- Salesforce: `<instance URL>/lightning/r/Account/<id>/view`, the address Lightning Experience shows a
  record at; the instance URL is the `instance_url` of the OAuth token answer (simple-salesforce keeps
  it as `sf_instance`), so it comes from logging in.
- HubSpot: `https://<uiDomain>/contacts/<portalId>/company/<id>`; portalId and uiDomain (app.hubspot.com,
  app-eu1.hubspot.com, ...) come from `GET /account-info/v3/details`.

The lookup costs a login or one call, so it is made once per configured endpoint (login URL / base
URL) and kept in `cadence_ops.crm_instances`; a changed endpoint is looked up again. A failed lookup
never fails the night: the report then shows the accounts without links.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ingest.config import CrmConfig, HubSpotConfig, SalesforceConfig
from ingest.errors import CadenceError
from ingest.tables import table_exists
from ingest.warehouse import WarehouseArg, connect

TABLE = "cadence_ops.crm_instances"
ID = "{id}"  # where the account id goes in a template

logger = logging.getLogger(__name__)

_DDL = f"""
create schema if not exists cadence_ops;
create table if not exists {TABLE} (
    crm varchar primary key,
    endpoint varchar not null,           -- the configured login URL / API base URL it was looked up at
    account_url_template varchar not null,  -- {ID} stands for the CRM's account id
    recorded_at timestamptz not null
);
"""


def salesforce_template(instance_url: str) -> str:
    return f"{instance_url.rstrip('/')}/lightning/r/Account/{ID}/view"


def hubspot_template(ui_domain: str, portal_id: int | str) -> str:
    return f"https://{ui_domain}/contacts/{portal_id}/company/{ID}"


def _endpoint(config: CrmConfig) -> str:
    if isinstance(config, SalesforceConfig):
        return config.login_url
    assert isinstance(config, HubSpotConfig)
    return config.base_url


def _look_up(config: CrmConfig) -> str:
    """The account URL template of the CRM `config` names (one login or one API call)."""
    if isinstance(config, SalesforceConfig):
        from ingest.salesforce.helpers import SalesforceClient

        return salesforce_template(f"https://{SalesforceClient(config).sf.sf_instance}")
    from ingest.hubspot.helpers import HubSpotClient

    assert isinstance(config, HubSpotConfig)
    client = HubSpotClient(config)
    try:
        details = client.request("GET", "/account-info/v3/details")
    finally:
        client.close()
    return hubspot_template(details["uiDomain"], details["portalId"])


def record_instances(warehouse: WarehouseArg, configs: dict[str, CrmConfig]) -> dict[str, str]:
    """Make sure every audited CRM has its account URL template stored; returns the stored ones."""
    with connect(warehouse) as con:
        con.execute(_DDL)
        known = dict(con.execute(f"select crm, endpoint from {TABLE}").fetchall())
        for crm, config in configs.items():
            if known.get(crm) == _endpoint(config):
                continue
            try:
                template = _look_up(config)
            except (CadenceError, KeyError, OSError) as error:
                logger.warning("%s: no record links in the report (lookup failed: %s)", crm, error)
                continue
            # ON CONFLICT: the upsert both engines speak (DuckDB's INSERT OR REPLACE is its own).
            con.execute(
                f"insert into {TABLE} values (?, ?, ?, ?) on conflict (crm) do update set "
                "endpoint = excluded.endpoint, account_url_template = excluded.account_url_template, "
                "recorded_at = excluded.recorded_at",
                [crm, _endpoint(config), template, datetime.now(UTC)],
            )
        return dict(con.execute(f"select crm, account_url_template from {TABLE}").fetchall())


def account_url_templates(con: Any) -> dict[str, str]:
    """crm -> account URL template, as stored (empty before the first lookup)."""
    if not table_exists(con, TABLE):
        return {}
    return dict(con.execute(f"select crm, account_url_template from {TABLE}").fetchall())
