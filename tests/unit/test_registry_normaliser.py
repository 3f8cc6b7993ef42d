"""The registry matching keys (dbt_project/macros/registry_matching.sql), rendered with plain jinja2 and
run on an in-memory DuckDB: the same SQL dbt compiles, without dbt."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "registry_matching.sql"


@functools.cache
def _macros() -> Any:
    return jinja2.Environment().from_string(MACROS.read_text(encoding="utf-8")).module


def _evaluate(macro: str, *values: str | None) -> Any:
    columns = [f"c{i}" for i in range(len(values))]
    sql = getattr(_macros(), macro)(*columns)
    select = ", ".join(f"?::varchar as {c}" for c in columns)
    found = duckdb.execute(f"select {sql} from (select {select})", list(values)).fetchone()
    return found[0] if found else None


@pytest.mark.parametrize(
    ("crm", "registry"),
    [
        ("100 Main Street", "100 MAIN ST"),  # case, suffix spelled out
        ("100 Main St., Suite 200", "100 MAIN ST"),  # punctuation, suite on line 1
        ("100 Main St Ste. 310", "100 MAIN ST SUITE 200"),  # another suite of the same building
        ("100 Main St #4B", "100 MAIN ST"),  # '#' unit
        ("2500 North Lake Shore Drive", "2500 N LAKE SHORE DR"),  # directional and suffix
        ("  12  Oak   Avenue ", "12 OAK AVE"),  # spaces
        ("Rua São José 5", "RUA SAO JOSE 5"),  # accents
    ],
)
def test_address_variants_share_one_key(crm: str, registry: str) -> None:
    assert _evaluate("normalised_address", crm) == _evaluate("normalised_address", registry)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("100 Main St", "1000 Main St"),  # another building
        ("100 Main St", "100 Maine St"),  # another street
        ("100 N Main St", "100 S Main St"),  # the other side of town
    ],
)
def test_near_miss_addresses_differ(one: str, other: str) -> None:
    assert _evaluate("normalised_address", one) != _evaluate("normalised_address", other)


def test_address_key_value() -> None:
    assert _evaluate("normalised_address", "100 Main Street, Ste. 200") == "100 MAIN ST"
    assert _evaluate("normalised_address", "") is None
    assert _evaluate("normalised_address", None) is None


@pytest.mark.parametrize(
    ("crm", "registry"),
    [
        ("Lakeside Family Practice", "LAKESIDE FAMILY PRACTICE, P.C."),
        ("Lakeside Family Practice, LLC", "LAKESIDE FAMILY PRACTICE PLLC"),
        ("The Mercy Hospital", "MERCY HOSPITAL INC."),
        ("Smith & Jones Pediatrics", "SMITH AND JONES PEDIATRICS"),
        ("O’Brien Cardiology", "O'BRIEN CARDIOLOGY"),
        ("Clínica São José", "CLINICA SAO JOSE"),
    ],
)
def test_name_variants_share_one_key(crm: str, registry: str) -> None:
    assert _evaluate("normalised_name", crm) == _evaluate("normalised_name", registry)


def test_name_near_misses_differ() -> None:
    assert _evaluate("normalised_name", "Lakeside Family Practice") != _evaluate(
        "normalised_name", "Lakeside Family Practice East"
    )
    assert _evaluate("normalised_name", "Lakeside Family Practice, P.C.") == "LAKESIDE FAMILY PRACTICE"
    # A legal form is dropped only at the end: "Co" inside a name stays.
    assert _evaluate("normalised_name", "Co Op Health Clinic") == "CO OP HEALTH CLINIC"


@pytest.mark.parametrize(
    ("postal", "expected"),
    [("60611", "60611"), ("60611-3456", "60611"), ("606113456", "60611"), ("021151234", "02115"),
     ("6061", None), ("", None), (None, None)],
)  # fmt: skip
def test_zip5(postal: str | None, expected: str | None) -> None:
    assert _evaluate("zip5", postal) == expected


def test_location_key_joins_address_and_zip5() -> None:
    assert _evaluate("location_key", "100 Main Street, Suite 200", "60611-3456") == "100 MAIN ST 60611"
    assert _evaluate("location_key", "100 Main Street", "") is None
