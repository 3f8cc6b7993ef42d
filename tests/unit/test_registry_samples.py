"""The synthetic registry files: the real layouts, valid NPIs, the same files for the same seed."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from ingest.registries.layouts import NPPES_HEADER, ORDER_REFERRING_HEADER
from ingest.registries.sample import (
    Provider,
    Site,
    npi_with_check_digit,
    territory_sample,
    write_nppes,
    write_order_referring,
)

SITES = [Site("Lakeside Family Practice", "100 Main Street, Suite 200", "Springfield", "IL", "62701-1234")]


def test_npi_check_digit_is_the_standard_luhn_over_80840() -> None:
    assert npi_with_check_digit(123456789) == "1234567893"  # CMS's example NPI


def test_nppes_file_has_the_330_quoted_columns_and_blanks_a_deactivated_npi(tmp_path: Path) -> None:
    gone = Provider("1234567893", 1, last_name="GONE", deactivated=date(2019, 3, 1))
    path = write_nppes(tmp_path / "npidata_pfile.csv", [gone])
    lines = path.read_text(encoding="utf-8").splitlines()
    header, row = list(csv.reader(lines))
    assert tuple(header) == NPPES_HEADER and len(header) == 330
    assert lines[1].startswith('"1234567893",""')  # every field quoted, as NPPES does
    assert {name: value for name, value in zip(header, row, strict=True) if value} == {
        "NPI": "1234567893",
        "NPI Deactivation Date": "03/01/2019",
    }


def test_territory_sample_is_deterministic_and_in_the_sites_zips(tmp_path: Path) -> None:
    first, second = territory_sample(SITES, seed=3), territory_sample(SITES, seed=3)
    assert first == second
    providers, referrers = first
    assert {p.postal_code[:5] for p in providers} == {"62701"}
    assert all(len(p.postal_code) == 9 for p in providers)  # NPPES's ZIP+4 without hyphen
    assert providers[0].organization_name == "LAKESIDE FAMILY PRACTICE"
    path = write_order_referring(tmp_path / "or.csv", referrers)
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(ORDER_REFERRING_HEADER)
