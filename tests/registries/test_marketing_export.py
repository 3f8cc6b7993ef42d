"""Marketing's list and the report's new providers (issue 15 items 6-7), end to end: the referral org of
tests/orchestration/org.py (Dana owns every account, in both CRMs, one person) given practice addresses,
plus hand-built NPPES and Order and Referring files in the real layouts, one nightly run in the sandbox;
then `cadence export marketing`. Every expected row below is computed by hand.

Addresses (Springfield, IL): S1 1 Lake St 62701, S2 2 Key Ave 62701, S3 3 Joe Rd 62702, S4 4 Hospice Way
62702, S5 5 Ortho Ct 62701, S6 (out of scope) 6 Vendor Rd 62701; HubSpot (no city/state synced) H1
10 Harbor Blvd 62703, H2 11 Bay St 62703, H3 12 Cove Ln 62701. Dana's territories (ZIP5s of her in-scope
accounts): Salesforce 62701, 62702; HubSpot 62703, 62701.

Registry locations:
  1 LAKE ST 62701       SUZY LANE PRACTICE + 2 individuals: S1 by name + address, in the CRM
  10 HARBOR BLVD 62703  2 individuals: H1's own address (match 'address'), in the CRM; its city for H1
  50 PRAIRIE AVE 62701  PRAIRIE MULTISPECIALTY GROUP (193200000X) + 8 individuals, 7 may order HHA:
                        a candidate of both of Dana's owner records, listed once
  9 ELM ST 62703        3 nurse practitioners, 2 may order HHA: a practice (no organisation)
  70 CREST DR 62702     ELM CREST NURSING (314000000X), nobody practising: an snf candidate, 0 referrers
  1 FAR AWAY LN 90210   a group outside every territory: nobody's

Potential: an account's CRM referrers (contacts), a candidate's registry referrers. Ranked together
(ties: accounts first, then more referrals in 12 months, then name): 1 PRAIRIE (7), 2 S1 (6), 3 S2 (3),
4 H1 (2, 5 referrals), 5 S3 (2, 2), 6 9 ELM ST (2, candidate), 7 H2 (1, 4), 8 S4 (1, 2), 9 Cove Practice
(H3, 0), 10 New Prospect Ortho (S5, 0), 11 ELM CREST NURSING (0, candidate). Coverage (referrers met in
180 days / referrers; each visit met the first referrer): S1 1/6, S2 1/3, S3 1/2, S4 1/1, H1 1/2, H2 1/1,
S5 and H3 0 (no referrer).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest

from ingest.registries.sample import (
    FAMILY_MEDICINE,
    INTERNAL_MEDICINE,
    MULTI_SPECIALTY_GROUP,
    NURSE_PRACTITIONER,
    SKILLED_NURSING,
    Provider,
    Referrer,
    write_nppes,
    write_order_referring,
)
from orchestration.cli import main
from orchestration.marketing import MART
from orchestration.report import write_report
from tests.helpers import serve_org
from tests.orchestration.harness import run_audit
from tests.orchestration.org import AS_OF, hs_company_id, referral_org, sf_account_id
from tests.report import dom

SPRINGFIELD = {"city": "SPRINGFIELD", "state": "IL"}
SF_ADDRESSES = {
    1: ("1 Lake St", "62701"), 2: ("2 Key Ave", "62701"), 3: ("3 Joe Rd", "62702"),
    4: ("4 Hospice Way", "62702-4444"), 5: ("5 Ortho Ct", "62701"), 6: ("6 Vendor Rd", "62701"),
}  # fmt: skip
HS_ADDRESSES = {1: ("10 Harbor Blvd", "62703"), 2: ("11 Bay St", "62703"), 3: ("12 Cove Ln", "62701")}
HHA = frozenset({"PARTB", "HHA"})


def _org_with_addresses() -> dict[str, Any]:
    org = referral_org()
    for account in org["salesforce"]["Account"]:
        n = int(account["Id"][3:15])
        street, postal = SF_ADDRESSES[n]
        account |= {"BillingStreet": street, "BillingCity": "Springfield", "BillingState": "IL",
                    "BillingPostalCode": postal}  # fmt: skip
    for company in org["hubspot"]["companies"]:
        street, postal = HS_ADDRESSES[int(company["id"]) - 9000]
        company["properties"] |= {"address": street, "zip": postal}
    return org


def _individuals(first_npi: int, count: int, street: str, postal: str, *taxonomies: str) -> list[Provider]:
    return [
        Provider(str(first_npi + i), 1, first_name=f"P{i}", last_name=f"DOC{first_npi + i}",
                 credential="M.D.", address_line_1=street, postal_code=postal,
                 taxonomies=(taxonomies[i % len(taxonomies)],), **SPRINGFIELD)
        for i in range(count)
    ]  # fmt: skip


def _org(npi: str, name: str, street: str, postal: str, taxonomy: str, **place: str) -> Provider:
    return Provider(npi, 2, organization_name=name, address_line_1=street, postal_code=postal,
                    taxonomies=(taxonomy,), **(place or SPRINGFIELD))  # fmt: skip


PRAIRIE_TAXONOMIES = (*[FAMILY_MEDICINE] * 5, *[INTERNAL_MEDICINE] * 3)
PRAIRIE_PEOPLE = _individuals(1100000001, 8, "50 PRAIRIE AVE", "627019876", *PRAIRIE_TAXONOMIES)
ELM_PEOPLE = _individuals(1200000001, 3, "9 ELM ST", "62703", NURSE_PRACTITIONER)
PROVIDERS = [
    _org("1000000001", "SUZY LANE PRACTICE", "1 LAKE ST", "627011111", MULTI_SPECIALTY_GROUP),
    *_individuals(1000000011, 2, "1 LAKE ST", "62701", FAMILY_MEDICINE),
    *_individuals(1000000021, 2, "10 HARBOR BLVD", "62703", FAMILY_MEDICINE),
    _org("1000000002", "PRAIRIE MULTISPECIALTY GROUP", "50 PRAIRIE AVE", "62701", MULTI_SPECIALTY_GROUP),
    *PRAIRIE_PEOPLE,
    *ELM_PEOPLE,
    _org("1000000003", "ELM CREST NURSING", "70 CREST DR", "627020070", SKILLED_NURSING),
    _org("1000000004", "FAR AWAY GROUP", "1 FAR AWAY LN", "90210", MULTI_SPECIALTY_GROUP,
         city="BEVERLY HILLS", state="CA"),
]  # fmt: skip
REFERRERS = [
    *(Referrer(p.npi, p.last_name, p.first_name, HHA) for p in PRAIRIE_PEOPLE[:7]),
    *(Referrer(p.npi, p.last_name, p.first_name, HHA) for p in ELM_PEOPLE[:2]),
    Referrer(PRAIRIE_PEOPLE[7].npi, PRAIRIE_PEOPLE[7].last_name, "P7", frozenset({"DME"})),  # no HHA
]

DANA = "email:dana@example.com"
SF, HS = "salesforce", "hubspot"
# (rank, kind, status, name, address line, city, state, zip5, referrers, coverage, trend, crm, key)
EXPECTED = [
    (1, "candidate", "candidate", "PRAIRIE MULTISPECIALTY GROUP", "50 PRAIRIE AVE", "SPRINGFIELD", "IL",
     "62701", 7, None, None, SF, "50 PRAIRIE AVE 62701"),
    (2, "account", "active", "Suzy Lane Practice", "1 Lake St", "Springfield", "IL", "62701",
     6, 1 / 6, "slipping", SF, f"salesforce:{sf_account_id(1)}"),
    (3, "account", "active", "Key Clinic", "2 Key Ave", "Springfield", "IL", "62701",
     3, 1 / 3, "none", SF, f"salesforce:{sf_account_id(2)}"),
    (4, "account", "active", "Harbor Hospital", "10 Harbor Blvd", "SPRINGFIELD", "IL", "62703",
     2, 1 / 2, "growing", HS, f"hubspot:{hs_company_id(1)}"),
    (5, "account", "active", "Joe Single GP", "3 Joe Rd", "Springfield", "IL", "62702",
     2, 1 / 2, "new", SF, f"salesforce:{sf_account_id(3)}"),
    (6, "candidate", "candidate", "9 ELM ST", "9 ELM ST", "SPRINGFIELD", "IL", "62703",
     2, None, None, HS, "9 ELM ST 62703"),
    (7, "account", "active", "Bay Clinic", "11 Bay St", None, None, "62703",
     1, 1.0, "steady", HS, f"hubspot:{hs_company_id(2)}"),
    (8, "account", "active", "Override Hospice", "4 Hospice Way", "Springfield", "IL", "62702",
     1, 1.0, "lapsed", SF, f"salesforce:{sf_account_id(4)}"),
    (9, "account", "active", "Cove Practice", "12 Cove Ln", None, None, "62701",
     0, 0.0, "none", HS, f"hubspot:{hs_company_id(3)}"),
    (10, "account", "prospect", "New Prospect Ortho", "5 Ortho Ct", "Springfield", "IL", "62701",
     0, 0.0, "none", SF, f"salesforce:{sf_account_id(5)}"),
    (11, "candidate", "candidate", "ELM CREST NURSING", "70 CREST DR", "SPRINGFIELD", "IL", "62702",
     0, None, None, SF, "70 CREST DR 62702"),
]  # fmt: skip


@dataclass(frozen=True)
class Night:
    warehouse: Path
    nightly_export: Path | None
    html: str


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    tmp = tmp_path_factory.mktemp("marketing")
    nppes = write_nppes(tmp / "npidata_pfile_20050523-20261108.csv", PROVIDERS)
    order_referring = write_order_referring(tmp / "OrderReferring_20261101.csv", REFERRERS)
    warehouse = tmp / "var" / "warehouse.duckdb"
    with serve_org(_org_with_addresses(), tmp) as running:
        run = run_audit(running, warehouse, AS_OF, registry_nppes=str(nppes),
                        registry_order_referring=str(order_referring))  # fmt: skip
    assert run.summary.succeeded, run.summary.error
    assert run.summary.report is not None
    yield Night(warehouse, run.summary.marketing_export, run.summary.report.read_text())


def _csv_rows(path: Path) -> list[tuple[Any, ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            (int(r["marketing_rank"]), r["kind"], r["status"], r["name"], r["address_line_1"],
             r["city"] or None, r["state"] or None, r["zip5"], int(r["referrer_count"]),
             float(r["coverage_share"]) if r["coverage_share"] else None, r["trend"] or None, r["crm"],
             r["account_key"] or r["location_key"])
            for r in csv.DictReader(handle)
        ]  # fmt: skip


def _rounded(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*row[:9], None if row[9] is None else round(row[9], 6), *row[10:]) for row in rows]


def test_export_writes_the_hand_computed_list_per_rep(night: Night, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "marketing-top-accounts-somebody-gone.csv").write_text("stale")  # a rep's list from before
    (out / "notes.txt").write_text("mine")
    assert main(["export", "marketing", "-o", str(out), "--warehouse", str(night.warehouse)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "marketing-top-accounts-dana-reyes.csv", "marketing-top-accounts-dana-reyes.parquet",
        "marketing-top-accounts.csv", "marketing-top-accounts.parquet", "notes.txt",
    ]  # fmt: skip
    expected = _rounded(EXPECTED)
    assert _rounded(_csv_rows(out / "marketing-top-accounts-dana-reyes.csv")) == expected
    with open(out / "marketing-top-accounts.csv", encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert header[:3] == ["territory_key", "territory_name", "marketing_rank"]
    parquet = f"select * from '{out / 'marketing-top-accounts.parquet'}' order by marketing_rank"
    with duckdb.connect() as con:
        frame = con.execute(parquet).df()
    assert set(frame["territory_key"]) == {DANA} and set(frame["territory_name"]) == {"Dana Reyes"}
    assert set(frame["owner_name"]) == {"Dana Reyes"}
    assert frame["marketing_rank"].tolist() == list(range(1, 12))  # typed: integers, not text
    assert frame["coverage_share"].round(6).tolist()[1:3] == [round(1 / 6, 6), round(1 / 3, 6)]
    assert frame.loc[frame["kind"] == "candidate", "individual_count"].tolist() == [8, 3, 0]


def test_export_and_new_providers_read_the_same_from_postgres(
    night: Night, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The night's marts copied row for row into PostgreSQL (issue 16; the mart built there by dbt is
    tests/warehouse/test_engines_agree.py's): `cadence export marketing --warehouse postgresql://...`
    writes the same CSV files byte for byte and Parquet files of the same rows, and the report's new
    providers are the same frame; before the copy, the database without the mart is the one-line error."""
    import pandas as pd
    import pyarrow.parquet as parquet

    from ingest.warehouse import connect
    from orchestration.report.territory import read_new_providers
    from tests.warehouse.copy import copy_schemas

    duck, pg = tmp_path / "duckdb", tmp_path / "postgres"
    assert main(["export", "marketing", "-o", str(pg), "--warehouse", postgres_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"has no {MART} yet; run `cadence run`" in err
    assert "postgresql://" in err and urlsplit(postgres_url).password not in err
    copy_schemas(night.warehouse, postgres_url, ["marts"])
    assert main(["export", "marketing", "-o", str(duck), "--warehouse", str(night.warehouse)]) == 0
    assert main(["export", "marketing", "-o", str(pg), "--warehouse", postgres_url]) == 0
    names = sorted(path.name for path in duck.iterdir())
    assert sorted(path.name for path in pg.iterdir()) == names and len(names) == 4
    for name in names:
        if name.endswith(".csv"):
            assert (pg / name).read_bytes() == (duck / name).read_bytes(), name
        else:
            on_duckdb, on_postgres = parquet.read_table(duck / name), parquet.read_table(pg / name)
            assert on_postgres.column_names == on_duckdb.column_names
            assert on_postgres.to_pylist() == on_duckdb.to_pylist(), name
    assert _rounded(_csv_rows(pg / "marketing-top-accounts-dana-reyes.csv")) == _rounded(EXPECTED)
    with connect(night.warehouse, read_only=True) as on_duckdb, connect(postgres_url) as on_postgres:
        providers = read_new_providers(on_duckdb)
        pd.testing.assert_frame_equal(read_new_providers(on_postgres), providers)
    locations = ["50 PRAIRIE AVE 62701", "9 ELM ST 62703", "70 CREST DR 62702"]
    assert providers["location_key"].tolist() == locations


def test_nightly_asset_writes_the_same_files_beside_the_warehouse(night: Night) -> None:
    folder = night.warehouse.parent / "exports" / "marketing"
    assert night.nightly_export == folder
    assert _rounded(_csv_rows(folder / "marketing-top-accounts-dana-reyes.csv")) == _rounded(EXPECTED)
    with duckdb.connect(str(night.warehouse), read_only=True) as con:
        assert con.execute(f"select count(*) from {MART}").fetchone() == (11,)


def test_report_lists_new_providers_per_rep(night: Night) -> None:
    assert dom.tables(night.html)["new-providers-table"] == [
        {"rep": "Dana Reyes", "provider_name": "PRAIRIE MULTISPECIALTY GROUP",
         "candidate_kind": "physician_group", "address": "50 PRAIRIE AVE, SPRINGFIELD, IL 62701",
         "referrer_count": "7", "individual_count": "8",
         "taxonomy_mix": "207Q00000X:5, 207R00000X:3, 193200000X:1"},
        {"rep": "Dana Reyes", "provider_name": "9 ELM ST", "candidate_kind": "practice",
         "address": "9 ELM ST, SPRINGFIELD, IL 62703", "referrer_count": "2", "individual_count": "3",
         "taxonomy_mix": "363L00000X:3"},
        {"rep": "Dana Reyes", "provider_name": "ELM CREST NURSING", "candidate_kind": "snf",
         "address": "70 CREST DR, SPRINGFIELD, IL 62702", "referrer_count": "0", "individual_count": "0",
         "taxonomy_mix": "314000000X:1"},
    ]  # fmt: skip
    assert "individuals there who may order\nHHA" in night.html
    assert 'id="new-providers-empty"' not in night.html


def test_report_says_when_the_registries_are_not_loaded(night: Night, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(night.warehouse, copy)
    with duckdb.connect(str(copy)) as con:  # as a warehouse no registry file was ever loaded into
        con.execute("delete from marts.new_provider_candidates")
        con.execute("delete from marts.practice_locations")
    html = write_report(copy, tmp_path / "report.html").read_text()
    assert 'id="new-providers-empty"' in html and "cadence registries load --nppes FILE" in html
    assert "new-providers-table" not in html


def test_export_errors_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.duckdb"
    assert main(["export", "marketing", "--warehouse", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: warehouse {missing} not found; run `cadence demo` or `cadence run` first\n"
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).close()  # a DuckDB file no run has built marts in
    assert main(["export", "marketing", "--warehouse", str(bare), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: warehouse {bare} has no {MART} yet; run `cadence run` (or `cadence demo`) first\n"
    )
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder
