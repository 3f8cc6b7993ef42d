"""The rules against the data, on a hand-made raw layer: which configured values match nothing, when
that blocks, and when a volume drop is blamed on the rules rather than the CRM."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from expectations.rules_fit import rules_fit_frame
from expectations.runner import warehouse_tables
from orchestration.defs.quality import rules_blame
from orchestration.rules import Rules

LABEL = "/etc/cadence/cadence.yml"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw_salesforce")
    con.execute("create table raw_salesforce.account (id varchar, type varchar, is_deleted boolean)")
    # 6 live accounts: 2 active, 1 prospect, 2 'Vendor', 1 without a Type; a deleted 'Customer - Channel'
    con.execute(
        "insert into raw_salesforce.account values ('a1', 'Active Referral Source', false), "
        "('a2', 'Customer - Direct', false), ('a3', 'Prospect', false), ('a4', 'Vendor', false), "
        "('a5', 'Vendor', false), ('a6', null, false), ('a7', 'Customer - Channel', true)"
    )
    con.execute("create table raw_salesforce.event (id varchar, type varchar, is_deleted boolean)")
    con.execute("insert into raw_salesforce.event values ('e1', 'Visit', false), ('e2', 'Call', false)")
    return con


def _fit(con: duckdb.DuckDBPyConnection, rules: Rules) -> pd.DataFrame:
    return rules_fit_frame(con, ["salesforce"], rules, LABEL, warehouse_tables(con))


def test_values_that_match_no_live_record_are_named_with_their_key(con: duckdb.DuckDBPyConnection) -> None:
    fit = _fit(con, Rules())
    # the task table is not loaded: its rules are not checked; HubSpot is not configured
    checked = {"salesforce_active_types", "salesforce_prospect_types", "salesforce_visit_event_types"}
    assert set(fit["rule"]) == checked
    records = {(row.rule, row.value): row.records for row in fit.itertuples()}
    assert records == {
        ("salesforce_active_types", "Active Referral Source"): 1,
        ("salesforce_active_types", "Customer - Direct"): 1,
        ("salesforce_active_types", "Customer - Channel"): 0,  # only a deleted account has it
        ("salesforce_prospect_types", "Prospect"): 1,
        ("salesforce_visit_event_types", "Visit"): 1,
        ("salesforce_visit_event_types", "Meeting"): 0,
    }
    assert [m for m in fit["message"] if m] == [
        f"salesforce_active_types: no Account has Type 'Customer - Channel'; picklist values are API names, "
        f"not labels, check {LABEL}",
        f"salesforce_visit_event_types: no Event has Type 'Meeting'; picklist values are API names, not "
        f"labels, check {LABEL}",
    ]
    assert set(fit["in_scope_share"]) == {0.5} and not fit["blocks"].any()  # 3 of 6 live accounts: no block


def test_a_status_value_matching_nothing_blocks_when_most_accounts_fall_out_of_scope(
    con: duckdb.DuckDBPyConnection,
) -> None:
    fit = _fit(con, Rules(salesforce_active_types=["Active_Referral_Source", "Customer - Direct"]))
    blocking = fit.loc[fit["blocks"]]
    assert list(blocking["value"]) == ["Active_Referral_Source"]  # 2 of 6 in scope now
    assert set(fit["in_scope_share"]) == {round(2 / 6, 4)}


def _volume(**row: object) -> pd.DataFrame:
    base = {"crm": "salesforce", "accounts": 60, "baseline_accounts": 100, "account_ratio": 0.6}
    return pd.DataFrame([{**base, **row}])


def test_a_drop_is_blamed_on_the_rules_only_when_live_accounts_left_scope(
    con: duckdb.DuckDBPyConnection,
) -> None:
    fit = _fit(con, Rules(salesforce_prospect_types=["Prospect"]))
    moved = rules_blame(_volume(moved_out_of_scope=40), fit, LABEL)
    assert moved[0] == (
        "salesforce: 40 of the 100 in-scope accounts left scope while still in the CRM, so the rules moved "
        f"them: check salesforce_active_types / salesforce_prospect_types in {LABEL}"
    )
    assert moved[1:] == [m for m in fit.loc[fit["status_rule"]]["message"] if m]  # 'Customer - Channel'
    matching = _fit(con, Rules(salesforce_active_types=["Active Referral Source", "Customer - Direct"]))
    # accounts deleted in the CRM and every status value matches: the drop is the data's
    assert rules_blame(_volume(moved_out_of_scope=0), matching, LABEL) == []
    assert rules_blame(_volume(moved_out_of_scope=40, account_ratio=0.9), fit, LABEL) == []  # no drop
