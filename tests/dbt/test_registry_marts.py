"""The registry marts on generated NPPES and Order and Referring files in the real CMS layouts (quoted
commas, empty taxonomy slots, deactivated NPIs, 9-digit ZIPs, a weekly file upserting the monthly one),
loaded by `cadence registries load`, matched to a hand-made Salesforce raw layer; every expected row
below is computed by hand from the records in this file.

Territory of Ann (005A): her accounts' ZIP5 62701. Ben (005B): 62710.
  100 MAIN ST 62701    Lakeside org (name+address of A1) + Dana Lee (NPI on A1's contact) + Wei Chen
  500 OAK AVE 62701    Mercy org (NPI__c of A2) + Priya Patel
  100 CEDAR RD 62710   Cedar Clinic org: same name as A3 at 10 Cedar Rd, a near miss, no match
  10 CEDAR RD 62710    Sam O'Brien, A3's contact "Sam O’Brien": person name + A3's address
  77 HARBOR BLVD 62701 a nursing facility; Grace Moreau moves here in the weekly file
  9 ELM ST 62701       individuals only (Noah Reyes, Tom Smith, and Grace until the weekly file)
  300 MAIN ST 62701    a DME supplier: no kind of the rules, no referrer, no candidate
  1 FAR AWAY LN 90210  outside every territory
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.registries.sample import Provider, Referrer, write_nppes, write_order_referring
from orchestration.cli import main
from orchestration.dbt_runner import run_dbt
from tests.dbt.raw_fixture import create_raw_tables, insert_rows

ANN, BEN = "005000000000001AAA", "005000000000002AAA"
A1, A2, A3 = (f"00100000000000{n}AAA" for n in (1, 2, 3))
TS = "2024-01-01T09:00:00Z"
SPRINGFIELD = {"city": "SPRINGFIELD", "state": "IL"}
HHA = frozenset({"PARTB", "HHA"})


def _org(npi: str, name: str, street: str, postal: str, *taxonomies: str, **extra: Any) -> Provider:
    return Provider(npi, 2, organization_name=name, address_line_1=street, postal_code=postal,
                    taxonomies=taxonomies, **{**SPRINGFIELD, **extra})  # fmt: skip


def _person(
    npi: str, first: str, last: str, street: str, postal: str, *taxonomies: str, **extra: Any
) -> Provider:
    return Provider(npi, 1, first_name=first, last_name=last, credential="M.D.", address_line_1=street,
                    postal_code=postal, taxonomies=taxonomies or ("207Q00000X",),
                    **{**SPRINGFIELD, **extra})  # fmt: skip


MONTHLY = [
    # Quoted comma in the name; taxonomy slot 1 empty, the primary in slot 2; a 9-digit ZIP.
    _org(
        "1000000001",
        "LAKESIDE FAMILY PRACTICE, P.C.",
        "100 MAIN ST",
        "627011234",
        "",
        "193400000X",
        primary_slot=2,
    ),
    _person("1000000011", "DANA", "LEE", "100 Main St Suite 200", "627015555"),
    _person("1000000012", "WEI", "CHEN", "100 MAIN STREET", "62701", "363L00000X"),
    Provider("1000000013", 1, deactivated=date(2019, 3, 1)),  # deactivated: only NPI and date remain
    _org("1000000002", "MERCY HOSPITAL, INC.", "500 Oak Ave, Ste 1", "627019999", "282N00000X"),
    _person("1000000021", "PRIYA", "PATEL", "500 OAK AVE", "62701", "207R00000X"),
    _org("1000000003", "CEDAR CLINIC", "100 CEDAR RD", "627100000", "193400000X"),
    _person("1000000031", "OWEN", "KIM", "100 Cedar Road", "62710"),
    _person("1000000032", "MIA", "SINGH", "100 CEDAR RD", "62710"),
    _person("1000000041", "SAM", "O'BRIEN", "10 Cedar Road", "627100001"),
    _org("1000000005", "HARBOR REHABILITATION & NURSING, LLC", "77 Harbor Boulevard", "62701", "314000000X"),
    _person("1000000061", "NOAH", "REYES", "9 ELM ST", "62701", last_update=date(2024, 3, 1)),
    _person("1000000062", "GRACE", "MOREAU", "9 Elm Street", "62701", last_update=date(2024, 3, 1)),
    _person("1000000063", "TOM", "SMITH", "9 ELM ST", "62701"),
    _org("1000000008", "SPRINGFIELD MEDICAL SUPPLY", "300 MAIN ST", "62701", "332B00000X"),
    _org(
        "1000000007",
        "FAR AWAY GROUP",
        "1 FAR AWAY LN",
        "902101111",
        "193200000X",
        city="BEVERLY HILLS",
        state="CA",
    ),
    _person("1000000071", "ANN", "FAR", "1 FAR AWAY LN", "90210", city="BEVERLY HILLS", state="CA"),
]
WEEKLY = [
    # Grace moves (a later Last Update Date wins); a stale row for Noah (older date) changes nothing.
    _person("1000000062", "GRACE", "MOREAU", "77 HARBOR BLVD", "627010077", last_update=date(2024, 7, 1)),
    _person("1000000061", "NOAH", "REYES", "1 NOWHERE RD", "62701", last_update=date(2023, 1, 1)),
]
ORDER_REFERRING = [
    Referrer("1000000011", "LEE", "DANA", HHA),
    Referrer("1000000012", "CHEN", "WEI", frozenset({"PARTB", "HOSPICE"})),  # hospice only: not for HHA
    Referrer("1000000013", "GONE", "DEACTIVATED", HHA),  # eligible, but the NPI is deactivated
    Referrer("1000000021", "PATEL", "PRIYA", HHA),
    Referrer("1000000031", "KIM", "OWEN", HHA),
    Referrer("1000000032", "SINGH", "MIA", HHA),
    Referrer("1000000041", "O'BRIEN", "SAM", HHA),
    Referrer("1000000061", "REYES", "NOAH", HHA),
    Referrer("1000000062", "MOREAU", "GRACE", HHA),
    Referrer("1000000071", "FAR", "ANN", HHA),
]


def _account(id_: str, name: str, owner: str, street: str, postal: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "name": name, "type": "Active Referral Source", "owner_id": owner,
            "billing_street": street,
            "billing_postal_code": postal, "created_date": TS, "system_modstamp": TS, "is_deleted": False,
            **extra}  # fmt: skip


def _crm(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        create_raw_tables(con)
        insert_rows(con, "raw_salesforce", "user", [
            {"id": ANN, "name": "Ann Rep", "is_active": True, "system_modstamp": TS},
            {"id": BEN, "name": "Ben Rep", "is_active": True, "system_modstamp": TS},
        ])  # fmt: skip
        insert_rows(con, "raw_salesforce", "account", [
            _account(A1, "Lakeside Family Practice", ANN, "100 Main Street, Suite 200", "62701-1234"),
            _account(A2, "Mercy General Hospital", ANN, "500 Oak Avenue", "62701", npi_c="1000000002"),
            _account(A3, "Cedar Clinic", BEN, "10 Cedar Rd.", "62710"),
        ])  # fmt: skip
        insert_rows(con, "raw_salesforce", "contact", [
            {"id": "003A", "account_id": A1, "name": "Dr. Dana Lee", "first_name": "Dana", "last_name": "Lee",
             "npi_c": "1000000011", "system_modstamp": TS, "is_deleted": False},
            {"id": "003B", "account_id": A3, "name": "Sam O’Brien", "first_name": "Sam",
             "last_name": "O’Brien",
             "system_modstamp": TS, "is_deleted": False},
        ])  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registries")
    warehouse = folder / "warehouse.duckdb"
    _crm(warehouse)
    nppes = write_nppes(folder / "npidata_pfile_20050523-20240707.csv", MONTHLY)
    weekly = write_nppes(folder / "npidata_pfile_20240701-20240707.csv", WEEKLY)
    order_referring = write_order_referring(folder / "OrderReferring_20240701.csv", ORDER_REFERRING)
    assert main(["registries", "load", "--nppes", str(nppes), "--nppes-weekly", str(weekly),
                 "--order-referring", str(order_referring), "--warehouse", str(warehouse)]) == 0  # fmt: skip
    run_dbt(["run", "--select", "+practice_locations +new_provider_candidates"], warehouse,
            as_of=date(2024, 7, 10), target_path=folder / "target")  # fmt: skip
    return warehouse


def _rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_load_keeps_one_typed_row_per_npi(warehouse: Path) -> None:
    assert _rows(warehouse, "select count(*), count(distinct npi) from raw_registries.nppes_providers") == [
        (17, 17)
    ]
    assert _rows(warehouse, """
        select npi, entity_type_code, organization_name, postal_code, taxonomy_codes, primary_taxonomy_code,
               deactivation_date, last_update_date
        from raw_registries.nppes_providers
        where npi in ('1000000001', '1000000013', '1000000062', '1000000061')
        order by npi""") == [
        ("1000000001", 2, "LAKESIDE FAMILY PRACTICE, P.C.", "627011234", ["193400000X"], "193400000X", None,
         date(2024, 1, 1)),
        ("1000000013", None, None, None, [], None, date(2019, 3, 1), None),
        # The weekly file's stale row (older Last Update Date) lost:
        ("1000000061", 1, None, "62701", ["207Q00000X"], "207Q00000X", None, date(2024, 3, 1)),
        ("1000000062", 1, None, "627010077", ["207Q00000X"], "207Q00000X", None, date(2024, 7, 1)),  # moved
    ]  # fmt: skip
    assert _rows(
        warehouse, "select npi, hha, hospice from raw_registries.order_referring where npi = '1000000012'"
    ) == [("1000000012", False, True)]


def test_practice_locations_row_by_row(warehouse: Path) -> None:
    assert _rows(warehouse, """
        select location_key, location_name, address_line_1, city, zip5, organization_count, individual_count,
               referrer_count, taxonomy_mix, account_key, match_method, match_confidence, is_in_crm
        from marts.practice_locations order by location_key""") == [
        ("1 FAR AWAY LN 90210", "FAR AWAY GROUP", "1 FAR AWAY LN", "BEVERLY HILLS", "90210", 1, 1, 1,
         "193200000X:1, 207Q00000X:1", None, None, None, False),
        ("10 CEDAR RD 62710", None, "10 Cedar Road", "SPRINGFIELD", "62710", 0, 1, 1,
         "207Q00000X:1", f"salesforce:{A3}", "person_name_address", 0.8, True),
        ("100 CEDAR RD 62710", "CEDAR CLINIC", "100 CEDAR RD", "SPRINGFIELD", "62710", 1, 2, 2,
         "207Q00000X:2, 193400000X:1", None, None, None, False),  # the near miss: A3 is at 10 Cedar Rd
        ("100 MAIN ST 62701", "LAKESIDE FAMILY PRACTICE, P.C.", "100 MAIN ST", "SPRINGFIELD", "62701",
         1, 2, 1,
         "193400000X:1, 207Q00000X:1, 363L00000X:1", f"salesforce:{A1}", "contact_npi", 0.95, True),
        ("300 MAIN ST 62701", "SPRINGFIELD MEDICAL SUPPLY", "300 MAIN ST", "SPRINGFIELD", "62701", 1, 0, 0,
         "332B00000X:1", None, None, None, False),
        ("500 OAK AVE 62701", "MERCY HOSPITAL, INC.", "500 OAK AVE", "SPRINGFIELD", "62701", 1, 1, 1,
         "207R00000X:1, 282N00000X:1", f"salesforce:{A2}", "npi", 1.0, True),
        ("77 HARBOR BLVD 62701", "HARBOR REHABILITATION & NURSING, LLC", "77 HARBOR BLVD", "SPRINGFIELD",
         "62701", 1, 1, 1, "207Q00000X:1, 314000000X:1", None, None, None, False),
        ("9 ELM ST 62701", None, "9 ELM ST", "SPRINGFIELD", "62701", 0, 2, 1, "207Q00000X:2",
         None, None, None,
         False),
    ]  # fmt: skip


def test_provider_matches_by_method(warehouse: Path) -> None:
    matches = "select npi, account_key, match_method from intermediate.int_registry_matches order by npi"
    assert _rows(warehouse, matches) == [
        ("1000000001", f"salesforce:{A1}", "name_address"),
        ("1000000002", f"salesforce:{A2}", "npi"),
        ("1000000011", f"salesforce:{A1}", "contact_npi"),
        ("1000000041", f"salesforce:{A3}", "person_name_address"),
    ]  # fmt: skip


def test_new_provider_candidates_ranked_per_rep(warehouse: Path) -> None:
    assert _rows(warehouse, """
        select owner_id, owner_name, candidate_rank, location_key, candidate_kind, organization_npis,
               individual_count, referrer_count
        from marts.new_provider_candidates order by owner_id, candidate_rank""") == [
        (ANN, "Ann Rep", 1, "9 ELM ST 62701", "practice", None, 2, 1),
        (ANN, "Ann Rep", 2, "77 HARBOR BLVD 62701", "snf", "1000000005", 1, 1),
        (BEN, "Ben Rep", 1, "100 CEDAR RD 62710", "physician_group", "1000000003", 2, 2),
    ]  # fmt: skip
