"""Synthetic registry files in the real CMS layouts (no real provider data is shipped or fetched).

- `write_nppes` / `write_order_referring`: given provider records, the exact files CMS publishes (every
  field quoted, as NPPES does; a deactivated NPI keeps only its NPI and deactivation date).
- `territory_sample`: small, deterministic files for the demo: providers at the demo org's account
  addresses (they match the CRM) and at new addresses in the same ZIPs (the candidates).
- `write_bulk_nppes`: a file of N rows for sizing the load, written by DuckDB (millions of rows/min).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingest.registries.layouts import (
    NPPES_COLUMNS,
    NPPES_HEADER,
    ORDER_REFERRING_HEADER,
    PRIMARY_SWITCH,
    TAXONOMY_CODE,
    TAXONOMY_SLOTS,
)

# NUCC taxonomy codes (https://taxonomy.nucc.org): a few of each kind the marts care about.
FAMILY_MEDICINE = "207Q00000X"
INTERNAL_MEDICINE = "207R00000X"
CARDIOLOGY = "207RC0000X"
NURSE_PRACTITIONER = "363L00000X"
PHYSICIAN_ASSISTANT = "363A00000X"
GENERAL_ACUTE_HOSPITAL = "282N00000X"
SKILLED_NURSING = "314000000X"
MULTI_SPECIALTY_GROUP = "193200000X"
SINGLE_SPECIALTY_GROUP = "193400000X"


@dataclass(frozen=True)
class Provider:
    """One NPPES row, by the fields the loader keeps. Taxonomies in slot order; '' leaves a slot empty."""

    npi: str
    entity_type: int  # 1: individual, 2: organisation (the readme's Entity Type Code)
    organization_name: str = ""
    last_name: str = ""
    first_name: str = ""
    credential: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""  # 5 or 9 digits, no hyphen
    taxonomies: tuple[str, ...] = ()
    primary_slot: int | None = 1  # 1-based slot whose switch is 'Y'
    last_update: date | None = date(2024, 1, 1)
    deactivated: date | None = None
    extra: dict[str, str] = field(default_factory=dict)  # any other NPPES column, by its header name

    def row(self) -> list[str]:
        if self.deactivated is not None:  # the readme: only the NPI and the date are disseminated
            values = {"NPI": self.npi, "NPI Deactivation Date": _us_date(self.deactivated)}
            return [values.get(name, "") for name in NPPES_HEADER]
        kept = {
            "npi": self.npi, "entity_type_code": str(self.entity_type),
            "organization_name": self.organization_name, "last_name": self.last_name,
            "first_name": self.first_name, "credential": self.credential,
            "address_line_1": self.address_line_1, "address_line_2": self.address_line_2,
            "city": self.city, "state": self.state, "postal_code": self.postal_code,
            "last_update_date": _us_date(self.last_update),
        }  # fmt: skip
        values = {NPPES_COLUMNS[column]: value for column, value in kept.items()}
        for slot, code in enumerate(self.taxonomies, start=1):
            values[TAXONOMY_CODE.format(slot=slot)] = code
            if code:
                values[PRIMARY_SWITCH.format(slot=slot)] = "Y" if slot == self.primary_slot else "N"
        values.update(self.extra)
        return [values.get(name, "") for name in NPPES_HEADER]


@dataclass(frozen=True)
class Referrer:
    """One Order and Referring row; `services` are the flags set to Y (PARTB, DME, HHA, PMD, HOSPICE)."""

    npi: str
    last_name: str
    first_name: str
    services: frozenset[str] = frozenset({"PARTB", "HHA"})

    def row(self) -> list[str]:
        flags = ["Y" if flag in self.services else "N" for flag in ORDER_REFERRING_HEADER[3:]]
        return [self.npi, self.last_name, self.first_name, *flags]


def _us_date(day: date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


def write_nppes(path: Path, providers: Iterable[Provider]) -> Path:
    """An npidata_pfile CSV: NPPES quotes every field, header included."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(NPPES_HEADER)
        writer.writerows(provider.row() for provider in providers)
    return path


def write_order_referring(path: Path, referrers: Iterable[Referrer]) -> Path:
    """The Order and Referring CSV: a plain header, fields quoted only when needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ORDER_REFERRING_HEADER)
        writer.writerows(referrer.row() for referrer in referrers)
    return path


def npi_with_check_digit(base9: int) -> str:
    """A 10-digit NPI whose last digit is the Luhn check digit over the prefix 80840 + 9 digits (the
    NPI standard, CMS "Requirements for NPI check digit"), so a synthetic NPI looks valid."""
    digits = [int(d) for d in f"80840{base9:09d}"]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return f"{base9:09d}{(10 - total % 10) % 10}"


# ---- the demo territory -------------------------------------------------------------------------
_FIRST = ("Ann", "Dana", "Sam", "Priya", "Wei", "Liam", "Mia", "Noah", "Grace", "Owen", "Nadia", "Tom")
_LAST = ("Reyes", "Lee", "Patel", "O'Brien", "Garcia", "Kim", "Chen", "Singh", "Moreau", "Okafor")
_INDIVIDUAL_TAXONOMIES = (
    FAMILY_MEDICINE,
    INTERNAL_MEDICINE,
    CARDIOLOGY,
    NURSE_PRACTITIONER,
    PHYSICIAN_ASSISTANT,
)
_NEW_PLACES = ("Oak Park", "Willow Creek", "Maple Grove", "Stonebridge", "Elm Street", "Lakeview")
_ORG_KINDS = (
    (MULTI_SPECIALTY_GROUP, "Medical Group, LLC"),
    (SKILLED_NURSING, "Rehabilitation & Nursing"),
    (GENERAL_ACUTE_HOSPITAL, "Community Hospital"),
)


@dataclass(frozen=True)
class Site:
    """A CRM account's practice address, as the org file holds it."""

    name: str
    street: str
    city: str
    state: str
    postal_code: str
    npi: str | None = None  # the account's NPI__c, when the org has it


def org_sites(org: dict[str, Any]) -> list[Site]:
    """The Salesforce accounts of an org file that carry a billing address (the demo's territory)."""
    accounts = org.get("salesforce", {}).get("Account", [])
    return [
        Site(a["Name"], a["BillingStreet"], a.get("BillingCity") or "", a.get("BillingState") or "",
             a["BillingPostalCode"], a.get("NPI__c"))
        for a in accounts
        if a.get("BillingStreet") and a.get("BillingPostalCode") and not a.get("IsDeleted")
    ]  # fmt: skip


def territory_sample(sites: Sequence[Site], seed: int = 7) -> tuple[list[Provider], list[Referrer]]:
    """Providers at each CRM site (the CRM's own locations) and at one new site per ZIP (candidates).

    Deterministic for a seed. A quarter of the individuals can order home health and hospice."""
    rng = random.Random(seed)
    providers: list[Provider] = []
    referrers: list[Referrer] = []
    counter = iter(range(100_000_000, 999_999_999))
    new_sites = [
        (Site(f"{_NEW_PLACES[i % len(_NEW_PLACES)]} {_ORG_KINDS[i % 3][1]}", f"{200 + 10 * i} Commerce Pkwy",
              site.city, site.state, site.postal_code), _ORG_KINDS[i % 3][0])
        for i, site in enumerate({s.postal_code[:5]: s for s in sites}.values())
    ]  # fmt: skip
    crm_sites = [(site, _ORG_KINDS[index % 3][0]) for index, site in enumerate(sites)]
    for site, taxonomy in [*crm_sites, *new_sites]:
        zip9 = f"{site.postal_code[:5]}{rng.randrange(10_000):04d}"
        address = {"address_line_1": site.street, "city": site.city, "state": site.state, "postal_code": zip9}
        # An account with an NPI in the CRM matches by it; the others by name and address.
        org_npi = site.npi or npi_with_check_digit(next(counter))
        providers.append(Provider(org_npi, 2, organization_name=site.name.upper(), taxonomies=(taxonomy,),
                                  **address))  # fmt: skip
        for _ in range(rng.randrange(1, 7)):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            npi = npi_with_check_digit(next(counter))
            taxonomies = (rng.choice(_INDIVIDUAL_TAXONOMIES), "")  # an empty second slot, as in the file
            providers.append(Provider(npi, 1, last_name=last.upper(), first_name=first.upper(),
                                      credential="M.D.", taxonomies=taxonomies, **address))  # fmt: skip
            if rng.random() < 0.25:
                referrers.append(
                    Referrer(npi, last.upper(), first.upper(), frozenset({"PARTB", "HHA", "HOSPICE"}))
                )
    return providers, referrers


def write_territory_sample(org_file: Path, folder: Path, seed: int = 7) -> tuple[Path, Path] | None:
    """The sample files for an org file's territory, in `folder` (None: no account has an address)."""
    import orjson

    sites = org_sites(orjson.loads(org_file.read_bytes()))
    if not sites:
        return None
    providers, referrers = territory_sample(sites, seed=seed)
    return (
        write_nppes(folder / "npidata_pfile_sample.csv", providers),
        write_order_referring(folder / "OrderReferring_sample.csv", referrers),
    )


# ---- the bulk file ------------------------------------------------------------------------------
def write_bulk_nppes(path: Path, rows: int, seed: int = 7) -> Path:
    """`rows` NPPES rows in the real layout (330 quoted columns), by DuckDB: ~1 in 100 deactivated,
    organisation names with commas, 9-digit ZIPs, one to three taxonomy slots filled."""
    import duckdb

    kept = {
        "NPI": "cast(1000000000 + i as varchar)",
        "Entity Type Code": "case when i % 100 = 0 then '' when i % 5 = 0 then '2' else '1' end",
        "Provider Organization Name (Legal Business Name)":
            "case when i % 5 = 0 and i % 100 <> 0 then 'Clinic ' || (i % 50000) || ', LLC' else '' end",
        "Provider Last Name (Legal Name)": "case when i % 5 <> 0 then 'LAST' || (i % 9973) else '' end",
        "Provider First Name": "case when i % 5 <> 0 then 'FIRST' || (i % 997) else '' end",
        NPPES_COLUMNS["address_line_1"]: "case when i % 100 <> 0 then (i % 997) || ' Main St' else '' end",
        NPPES_COLUMNS["address_line_2"]: "case when i % 3 = 0 then 'Suite ' || (i % 400) else '' end",
        NPPES_COLUMNS["city"]: "case when i % 100 <> 0 then 'Springfield' else '' end",
        NPPES_COLUMNS["state"]: "case when i % 100 <> 0 then 'IL' else '' end",
        NPPES_COLUMNS["postal_code"]:
            "case when i % 100 <> 0 then lpad(cast(i % 99999 as varchar), 5, '0') || '1234' else '' end",
        "Last Update Date": "case when i % 100 <> 0 then '07/08/2024' else '' end",
        "NPI Deactivation Date": "case when i % 100 = 0 then '05/23/2018' else '' end",
        TAXONOMY_CODE.format(slot=1): f"case when i % 100 <> 0 then '{FAMILY_MEDICINE}' else '' end",
        PRIMARY_SWITCH.format(slot=1): "case when i % 100 <> 0 then 'Y' else '' end",
        TAXONOMY_CODE.format(slot=2): f"case when i % 4 = 1 then '{INTERNAL_MEDICINE}' else '' end",
        PRIMARY_SWITCH.format(slot=2): "case when i % 4 = 1 then 'N' else '' end",
        TAXONOMY_CODE.format(slot=TAXONOMY_SLOTS): f"case when i % 7 = 1 then '{CARDIOLOGY}' else '' end",
    }  # fmt: skip
    columns = ", ".join(f'{kept.get(name, repr(""))} as "{name}"' for name in NPPES_HEADER)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = str(path).replace("'", "''")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select {columns} from range({int(rows)}) t(i)) to '{target}' "
            "(header, delimiter ',', quote '\"', force_quote *)"
        )
    return path
