"""What the prospect writeback reads and keeps in the warehouse, on both engines (issue 16): the month's
intake (cadence_ops.prospect_intake) written by record_intake and counted back per rep, and the
candidates with their referrers read from the registry marts. The marts are hand-made tables of the
columns the reader selects (dbt's registry models are the engine branch's, tests/warehouse/
test_engines_agree.py); every expected value below is read off the rows inserted here."""

from __future__ import annotations

from datetime import date

from ingest.warehouse import WarehouseLocation, connect
from orchestration.prospects.plan import (
    INTAKE_TABLE,
    created_this_month,
    read_candidates,
    record_intake,
)
from orchestration.prospects.selection import Candidate, ProspectAction, Referrer, prospect_key

NOVEMBER = date(2026, 11, 20)


def _action(owner_id: str, location_key: str, crm: str = "salesforce") -> ProspectAction:
    candidate = Candidate(crm, owner_id, 1, location_key, None, "practice", "1 MAIN ST", None, None, "62701")
    return ProspectAction(prospect_key(crm, location_key), candidate)


def test_the_month_intake_round_trips(warehouse_location: WarehouseLocation) -> None:
    """Two reps' creates in November (one found again after a lost answer: its key counted once), one
    in October and one in the other CRM: November's Salesforce count is 2 for 005A, 1 for 005B."""
    connect(warehouse_location).close()  # the warehouse exists (a DuckDB file), its table not yet
    assert created_this_month(warehouse_location, "salesforce", NOVEMBER) == {}
    with connect(warehouse_location) as con:
        record_intake(con, "run-1", "salesforce", NOVEMBER, [
            (_action("005A", "1 MAIN ST 62701"), "001X1"), (_action("005A", "2 OAK ST 62701"), None),
            (_action("005B", "3 ELM ST 62702"), "001X3"),
        ])  # fmt: skip
        record_intake(con, "run-2", "salesforce", NOVEMBER, [(_action("005A", "2 OAK ST 62701"), "001X2")])
        october = date(2026, 10, 31)
        record_intake(con, "run-0", "salesforce", october, [(_action("005B", "4 ASH ST 62702"), "a")])
        record_intake(con, "run-3", "hubspot", NOVEMBER, [(_action("77", "5 BAY ST 62703", "hubspot"), "9")])
        record_intake(con, "run-4", "salesforce", NOVEMBER, [])  # nothing created: nothing recorded
        rows = con.execute(
            f"select run_id, owner_id, prospect_key, as_of_month, crm_account_id from {INTAKE_TABLE} "
            "where crm = 'salesforce' order by run_id, prospect_key"
        ).fetchall()
    assert created_this_month(warehouse_location, "salesforce", NOVEMBER) == {"005A": 2, "005B": 1}
    assert created_this_month(warehouse_location, "salesforce", date(2026, 10, 1)) == {"005B": 1}
    assert created_this_month(warehouse_location, "hubspot", NOVEMBER) == {"77": 1}
    assert rows == [
        ("run-0", "005B", "prospect:salesforce:4_ASH_ST_62702", date(2026, 10, 1), "a"),
        ("run-1", "005A", "prospect:salesforce:1_MAIN_ST_62701", date(2026, 11, 1), "001X1"),
        ("run-1", "005A", "prospect:salesforce:2_OAK_ST_62701", date(2026, 11, 1), None),
        ("run-1", "005B", "prospect:salesforce:3_ELM_ST_62702", date(2026, 11, 1), "001X3"),
        ("run-2", "005A", "prospect:salesforce:2_OAK_ST_62701", date(2026, 11, 1), "001X2"),
    ]


_MARTS = """
create schema if not exists marts;
create schema if not exists intermediate;
create schema if not exists staging;
create table marts.new_provider_candidates (
    crm varchar, owner_id varchar, candidate_rank bigint, location_key varchar, location_name varchar,
    candidate_kind varchar, address_line_1 varchar, city varchar, state varchar, zip5 varchar,
    organization_npis varchar, referrer_count bigint
);
create table intermediate.int_registry_providers (npi varchar, location_key varchar, is_referrer boolean);
create table staging.stg_registries__providers (npi varchar, first_name varchar, last_name varchar);
"""
_CANDIDATES = [
    ("salesforce", "005B", 1, "9 ELM ST 62703", None, "practice", "9 ELM ST", "SPRINGFIELD", "IL", "62703",
     None, 2),
    ("salesforce", "005A", 2, "70 CREST DR 62702", "ELM CREST", "snf", "70 CREST DR", None, None, "62702",
     "1000000003", 0),
    ("salesforce", "005A", 1, "50 PRAIRIE AVE 62701", "PRAIRIE GROUP", "physician_group", "50 PRAIRIE AVE",
     "SPRINGFIELD", "IL", "62701", "1000000002,1000000009", 1),
    ("hubspot", "77", 1, "50 PRAIRIE AVE 62701", "PRAIRIE GROUP", "physician_group", "50 PRAIRIE AVE",
     "SPRINGFIELD", "IL", "62701", "1000000002", 1),
]  # fmt: skip
_PROVIDERS = [
    ("1100000001", "50 PRAIRIE AVE 62701", True), ("1100000002", "50 PRAIRIE AVE 62701", False),
    ("1200000002", "9 ELM ST 62703", True), ("1200000001", "9 ELM ST 62703", True),
    ("1300000001", "1 ELSEWHERE 90210", True),  # not at a candidate location
]  # fmt: skip
_NAMES = [("1100000001", "Ann", "LEE"), ("1100000002", "Bo", "KIM"), ("1200000001", None, "NG"),
          ("1200000002", "Cy", "OH"), ("1300000001", "Di", "FAR")]  # fmt: skip


def test_the_candidates_are_read_with_their_referrers(warehouse_location: WarehouseLocation) -> None:
    """One CRM's candidates by owner then rank, each with the referrers (is_referrer) at its location
    in NPI order, named as NPPES names them; none before the registry marts exist."""
    connect(warehouse_location).close()
    assert read_candidates(warehouse_location, "salesforce") == []
    with connect(warehouse_location) as con:
        con.execute(_MARTS)
        con.insert_rows("marts.new_provider_candidates", [
            "crm", "owner_id", "candidate_rank", "location_key", "location_name", "candidate_kind",
            "address_line_1", "city", "state", "zip5", "organization_npis", "referrer_count",
        ], _CANDIDATES)  # fmt: skip
        con.insert_rows(
            "intermediate.int_registry_providers", ["npi", "location_key", "is_referrer"], _PROVIDERS
        )
        con.insert_rows("staging.stg_registries__providers", ["npi", "first_name", "last_name"], _NAMES)
    prairie = Referrer("1100000001", "Ann", "LEE")
    assert read_candidates(warehouse_location, "salesforce") == [
        Candidate("salesforce", "005A", 1, "50 PRAIRIE AVE 62701", "PRAIRIE GROUP", "physician_group",
                  "50 PRAIRIE AVE", "SPRINGFIELD", "IL", "62701", "1000000002,1000000009", 1, (prairie,)),
        Candidate("salesforce", "005A", 2, "70 CREST DR 62702", "ELM CREST", "snf", "70 CREST DR", None,
                  None, "62702", "1000000003", 0, ()),
        Candidate("salesforce", "005B", 1, "9 ELM ST 62703", None, "practice", "9 ELM ST", "SPRINGFIELD",
                  "IL", "62703", None, 2, (Referrer("1200000001", None, "NG"),
                                           Referrer("1200000002", "Cy", "OH"))),
    ]  # fmt: skip
    assert [c.referrers for c in read_candidates(warehouse_location, "hubspot")] == [(prairie,)]
