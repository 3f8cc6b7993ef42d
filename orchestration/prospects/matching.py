"""The CRM re-check before a create: is there an account at the candidate's location already?

The warehouse knows only what the last sync brought; a person may have created the account since. The
writers read the CRM's accounts at the candidates' ZIPs, and this module gives them the registry
matching keys: the same SQL as dbt's (dbt_project/macros/registry_matching.sql, rendered with jinja2
and run on an in-memory DuckDB), so the CRM side and the marts can never disagree on a key."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orchestration.prospects.selection import Candidate

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "registry_matching.sql"


@dataclass(frozen=True)
class CrmAccount:
    """An account as the CRM holds it now (not as the warehouse last saw it)."""

    id: str
    name: str | None
    street: str | None
    postal_code: str | None
    npi: str | None = None


@dataclass(frozen=True)
class Keys:
    location_key: str | None
    name_key: str | None
    zip5: str | None


@functools.cache
def _macros() -> Any:
    import jinja2

    return jinja2.Environment().from_string(MACROS.read_text(encoding="utf-8")).module


def matching_keys(rows: Sequence[tuple[str | None, str | None, str | None]]) -> list[Keys]:
    """(name, street, postal code) -> the location key, name key and ZIP5 of each, in order."""
    if not rows:
        return []
    macros = _macros()
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(("name", "street", "postal"))},
                     schema=pa.schema([(n, pa.string()) for n in ("name", "street", "postal")]))  # fmt: skip
    sql = (
        f"select {macros.location_key('street', 'postal')}, {macros.normalised_name('name')}, "
        f"{macros.zip5('postal')} from rows_in"
    )
    with duckdb.connect() as con:
        con.register("rows_in", table)
        return [Keys(*row) for row in con.execute(sql).fetchall()]


def already_in_crm(candidates: Sequence[Candidate], accounts: Iterable[CrmAccount]) -> dict[str, str]:
    """location key -> the id of a CRM account at that location: the same location key, the same name
    key in the same ZIP5, or the organisation's NPI."""
    accounts = list(accounts)
    keys = matching_keys([(a.name, a.street, a.postal_code) for a in accounts])
    by_location = {k.location_key: a.id for a, k in zip(accounts, keys, strict=True) if k.location_key}
    by_name = {(k.name_key, k.zip5): a.id for a, k in zip(accounts, keys, strict=True) if k.name_key}
    by_npi = {a.npi: a.id for a in accounts if a.npi}
    names = matching_keys([(c.location_name, None, c.zip5) for c in candidates])
    found = {}
    for candidate, name in zip(candidates, names, strict=True):
        npis = (candidate.organization_npis or "").split(",")
        match = (
            by_location.get(candidate.location_key)
            or (by_name.get((name.name_key, candidate.zip5)) if name.name_key else None)
            or next((by_npi[npi] for npi in npis if npi in by_npi), None)
        )
        if match:
            found[candidate.location_key] = match
    return found


def accounts_by_location(accounts: Iterable[CrmAccount]) -> dict[str, str]:
    """location key -> account id (the lowest id when several share one)."""
    accounts = sorted(accounts, key=lambda a: a.id)
    keys = matching_keys([(a.name, a.street, a.postal_code) for a in accounts])
    found: dict[str, str] = {}
    for account, key in zip(accounts, keys, strict=True):
        if key.location_key:
            found.setdefault(key.location_key, account.id)
    return found
