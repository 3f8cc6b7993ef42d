"""The cadence_ops tables the nightly steps keep, on both engines (issue 16): the CRM record links
(looked up in the sandbox CRM over HTTP, an upsert when the endpoint moved), the KPI snapshots (an
as-of rerun replaces its rows in one transaction), the CRM blocks and the load gate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ingest.sandbox.hubspot.account_info import SANDBOX_PORTAL_ID
from ingest.sandbox_settings import hubspot_config
from ingest.warehouse import WarehouseLocation, connect
from orchestration.crm_blocks import SYNC_FAILED, CrmBlockedError, block_crm, blocks, raise_if_blocked
from orchestration.crm_links import TABLE as INSTANCES
from orchestration.crm_links import account_url_templates, record_instances
from orchestration.kpi_history import read_history, record_snapshot
from orchestration.load_gate import passed_loads, record_passed_load
from tests.conftest import StartSandbox
from tests.orchestration.org import hand_made_org

AS_OF = date(2026, 11, 27)


def test_a_moved_endpoint_is_looked_up_again_and_replaces_the_link(
    warehouse_location: WarehouseLocation, start_sandbox: StartSandbox
) -> None:
    running = start_sandbox(hand_made_org())
    with connect(warehouse_location) as con:
        con.execute(f"create schema if not exists cadence_ops; create table if not exists {INSTANCES} "
                    "(crm varchar primary key, endpoint varchar not null, account_url_template varchar "
                    "not null, recorded_at timestamptz not null)")  # fmt: skip
        stale = ("hubspot", "https://old.example", "https://old/{id}", datetime.now(UTC))
        con.insert_rows(INSTANCES, ["crm", "endpoint", "account_url_template", "recorded_at"], [stale])
    template = f"https://app.hubspot.com/contacts/{SANDBOX_PORTAL_ID}/company/{{id}}"
    assert record_instances(warehouse_location, {"hubspot": hubspot_config(running)}) == {"hubspot": template}
    assert running.counters["hubspot.account_info"] == 1
    with connect(warehouse_location, read_only=True) as con:
        assert account_url_templates(con) == {"hubspot": template}
        assert con.execute(f"select endpoint from {INSTANCES}").fetchall() == [(running.http_url,)]


def test_an_as_of_rerun_replaces_its_kpi_snapshot(warehouse_location: WarehouseLocation) -> None:
    with connect(warehouse_location) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table marts.rep_leaderboard (person_key varchar, person_name varchar, "
                    "in_scope_accounts bigint, on_cadence_pct float8)")  # fmt: skip
        con.insert_rows("marts.rep_leaderboard", ["person_key", "person_name", "in_scope_accounts",
                        "on_cadence_pct"], [("p1", "Ann", 10, 0.5), ("p2", "Bo", 4, 1.0)])  # fmt: skip
    assert record_snapshot(warehouse_location, "run-1", AS_OF) == 2
    with connect(warehouse_location) as con:
        con.execute("delete from marts.rep_leaderboard where person_key = 'p2'")  # Bo left the book
    assert record_snapshot(warehouse_location, "run-2", AS_OF) == 1
    with connect(warehouse_location, read_only=True) as con:
        history = read_history(con, AS_OF)
        runs = con.execute("select distinct run_id from cadence_ops.rep_kpi_snapshots").fetchall()
    assert runs == [("run-2",)]
    assert history[["person_key", "person_name", "in_scope_accounts", "on_cadence_pct"]].values.tolist() == [
        ["p1", "Ann", 10, 0.5]
    ]
    assert str(history["as_of"].dtype) == "datetime64[us]" and history["as_of"][0].date() == AS_OF


def test_a_block_stops_only_its_crm_and_the_gate_keeps_passed_loads(
    warehouse_location: WarehouseLocation,
) -> None:
    block_crm(warehouse_location, "run-9", "hubspot", SYNC_FAILED, "HubSpot unreachable\nsecond line")
    assert blocks(warehouse_location, "run-9", "hubspot") == [(SYNC_FAILED, "HubSpot unreachable")]
    raise_if_blocked(warehouse_location, "run-9", "salesforce")
    blocked = r"^hubspot writeback blocked \(sync failed\): HubSpot unreachable$"
    with pytest.raises(CrmBlockedError, match=blocked):
        raise_if_blocked(warehouse_location, "run-9", "hubspot")
    assert record_passed_load(warehouse_location, "salesforce", "run-9") is None  # no load yet
    with connect(warehouse_location) as con:
        con.execute("create schema if not exists raw_salesforce")
        con.execute("create table raw_salesforce._dlt_loads (load_id varchar, status bigint)")
        con.insert_rows("raw_salesforce._dlt_loads", ["load_id", "status"], [("1764.1", 0), ("1764.2", 1)])
    assert record_passed_load(warehouse_location, "salesforce", "run-9") == "1764.1"  # 1764.2 is not complete
    assert passed_loads(warehouse_location, "salesforce") == frozenset({"1764.1"})
