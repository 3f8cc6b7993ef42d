"""Tasks go to people who can act on them: an overdue account owned by a deactivated Salesforce user,
an archived HubSpot owner or an id that is no user (a queue) gets its task assigned to the rules'
fallback owner, or no task at all (reported by the quality suite) when the rules name none."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from orchestration.rules import Rules
from tests.dbt.raw_fixture import create_raw_tables, insert_rows

AS_OF = date(2024, 6, 30)
TS = "2024-01-01T09:00:00Z"  # created then, never visited, 30-day cadence: overdue by 151 days
ACTIVE, DEACTIVATED, MANAGER = "005000000000001AAA", "005000000000002AAA", "005000000000009AAA"
QUEUE = "00G000000000001AAA"  # a queue owns the account: not a user who can do a visit
SF_ACCOUNTS = {"001000000000001AAA": ACTIVE, "001000000000002AAA": DEACTIVATED, "001000000000003AAA": QUEUE}
HS_COMPANIES = {"9001": "101", "9002": "102"}  # owner 102 is archived


def _raw(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        create_raw_tables(con)
        insert_rows(con, "raw_salesforce", "user", [
            {"id": ACTIVE, "name": "Sam Rep", "is_active": True, "system_modstamp": TS},
            {"id": DEACTIVATED, "name": "Gone Rep", "is_active": False, "system_modstamp": TS},
            {"id": MANAGER, "name": "Mia Manager", "is_active": True, "system_modstamp": TS},
        ])  # fmt: skip
        insert_rows(con, "raw_salesforce", "account", [
            {"id": account, "name": account[-4:], "type": "Customer - Direct", "owner_id": owner,
             "created_date": TS, "system_modstamp": TS, "is_deleted": False}
            for account, owner in SF_ACCOUNTS.items()
        ])  # fmt: skip
        insert_rows(con, "raw_hubspot", "owners", [
            {"id": "101", "first_name": "Hana", "archived": False, "updated_at": TS},
            {"id": "102", "first_name": "Otto", "archived": True, "updated_at": TS},
        ])  # fmt: skip
        insert_rows(con, "raw_hubspot", "companies", [
            {"id": company, "name": f"HS {company}", "lifecyclestage": "customer", "hubspot_owner_id": owner,
             "createdate": TS, "hs_lastmodifieddate": TS, "archived": False}
            for company, owner in HS_COMPANIES.items()
        ])  # fmt: skip


def _build(tmp_path: Path, rules: Rules) -> duckdb.DuckDBPyConnection:
    warehouse = tmp_path / "warehouse.duckdb"
    _raw(warehouse)
    select = ["run", "--select", "+overdue_visit_tasks"]
    run_dbt(select, warehouse, as_of=AS_OF, rules=rules, target_path=tmp_path / "target")
    return duckdb.connect(str(warehouse), read_only=True)


def _creates(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    sql = "select crm_account_id, owner_id from marts.overdue_visit_tasks where action = 'create'"
    return dict(con.execute(sql).fetchall())


def test_without_a_fallback_only_owners_who_can_act_get_a_task(tmp_path: Path) -> None:
    with _build(tmp_path, Rules()) as con:
        assert _creates(con) == {"001000000000001AAA": ACTIVE, "9001": "101"}
        can_act = dict(
            con.execute("select crm_account_id, owner_is_active from marts.account_cadence").fetchall()
        )
    assert can_act == {
        "001000000000001AAA": True,
        "001000000000002AAA": False,
        "001000000000003AAA": False,
        "9001": True,
        "9002": False,
    }


@pytest.mark.parametrize("hubspot_fallback", ["103", None])
def test_the_rules_fallback_owner_gets_the_tasks_of_owners_who_cannot_act(
    tmp_path: Path, hubspot_fallback: str | None
) -> None:
    rules = Rules(salesforce_fallback_owner_id=MANAGER, hubspot_fallback_owner_id=hubspot_fallback)
    with _build(tmp_path, rules) as con:
        creates = _creates(con)
    expected = {
        "001000000000001AAA": ACTIVE,  # the owner can act: theirs
        "001000000000002AAA": MANAGER,
        "001000000000003AAA": MANAGER,
        "9001": "101",
    }
    assert creates == (expected | {"9002": "103"} if hubspot_fallback else expected)
