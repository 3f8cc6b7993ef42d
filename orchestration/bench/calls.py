"""API calls per step, from the sandbox's own counters, and the fewest calls the APIs allow.

Read calls are the data-carrying ones: Salesforce query + queryMore pages (≤2000 records); HubSpot
search pages (≤200, incrementals), list pages (≤100: a first sync's live records with their companies
inline, archived records, owners) and association batch reads (≤1000: the records changed since the
last sync and the nightly re-read, ingest/hubspot/associations.py). Write calls are Salesforce
composite/sobjects (≤200) and HubSpot tasks batch create/update (≤100). Logins, describes and property
lists are counted in `api_calls` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from ingest.cursor import DEFAULT_LOOKBACK_SECONDS, Cursor
from ingest.hubspot.associations import meetings_reread_start, reread_scope
from ingest.hubspot.settings import (
    ASSOCIATION_BATCH_SIZE,
    LIST_PAGE_SIZE,
    MODSTAMP,
    OBJECTS,
    SEARCH_PAGE_SIZE,
)
from ingest.pipeline import make_pipeline
from ingest.salesforce.settings import MAX_PAGE_SIZE, SALESFORCE_OBJECTS
from ingest.warehouse import WarehouseArg, connect
from orchestration.bench.org import Census

SALESFORCE_WRITE_LIMIT = 200
HUBSPOT_WRITE_LIMIT = 100
_READ_PREFIXES = {
    "salesforce": ("salesforce.query", "salesforce.query_more"),
    "hubspot": ("hubspot.search.", "hubspot.list.", "hubspot.associations.", "hubspot.owners"),
}
_WRITE_PREFIXES = {
    "salesforce": ("salesforce.composite_sobjects",),
    "hubspot": ("hubspot.batch_create.tasks", "hubspot.batch_update.tasks"),
}


def delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


def _matching(counts: Mapping[str, int], prefixes: tuple[str, ...]) -> int:
    return sum(n for name, n in counts.items() if any(name == p or name.startswith(p) for p in prefixes))


def read_calls(counts: Mapping[str, int], crm: str) -> int:
    return _matching(counts, _READ_PREFIXES[crm])


def write_calls(counts: Mapping[str, int], crm: str) -> int:
    return _matching(counts, _WRITE_PREFIXES[crm])


def api_calls(counts: Mapping[str, int], crm: str) -> int:
    return counts.get(f"{crm}.total", 0)


def _pages(rows: int, size: int) -> int:
    """Pages to read `rows` records; an empty answer is still one call."""
    return max(1, math.ceil(rows / size))


def min_read_calls(
    crm: str,
    census: Census,
    changed: Mapping[str, int] | None = None,
    at_cursor: Mapping[str, int] | None = None,
    reread: Mapping[str, int] | None = None,
) -> int:
    """The fewest read calls for a full sync (`changed` None) or an incremental one (`changed` per object).

    An incremental read asks for modstamps >= the cursor minus the lookback, so the `at_cursor` rows
    already loaded in that margin come again (a record that became readable late must not be missed);
    they cost query/search pages, never association reads. `reread`: the stored HubSpot rows whose
    companies an incremental sync re-reads (`rows_reread`), 1,000 a call.
    """
    if changed is not None and at_cursor:
        paged = {name: changed.get(name, 0) + at_cursor.get(name, 0) for name in {*changed, *at_cursor}}
    else:
        paged = changed
    scan = key_scan_reads(crm, census) if changed is not None else 0  # a first sync scans nothing
    if crm == "salesforce":
        return _salesforce_reads(census, paged) + scan
    rereads = sum(
        len(OBJECTS[name].association_columns) * math.ceil(rows / ASSOCIATION_BATCH_SIZE)
        for name, rows in (reread or {}).items()
    )
    return _hubspot_reads(census, paged, changed) + rereads + scan


def key_scan_reads(crm: str, census: Census) -> int:
    """The nightly key scan of accounts / companies (ingest/key_scan.py): their live ids, 2,000 a
    Salesforce query page, 100 a HubSpot list page. (Salesforce's getDeleted calls are not reads.)"""
    name, size = ("Account", MAX_PAGE_SIZE) if crm == "salesforce" else ("companies", LIST_PAGE_SIZE)
    return _pages(census.get(crm, {}).get(name, {"live": 0})["live"], size)


def _salesforce_reads(census: Census, changed: Mapping[str, int] | None) -> int:
    objects = census.get("salesforce", {})
    total = 0
    for name in SALESFORCE_OBJECTS:
        counts = objects.get(name, {"live": 0, "gone": 0})
        rows = counts["live"] + counts["gone"] if changed is None else changed.get(name, 0)
        total += _pages(rows, MAX_PAGE_SIZE)
    return total


def _hubspot_reads(census: Census, paged: Mapping[str, int] | None, changed: Mapping[str, int] | None) -> int:
    objects = census.get("hubspot", {})
    total = 0
    for name, spec in OBJECTS.items():
        counts = objects.get(name, {"live": 0, "gone": 0})
        total += _pages(counts["gone"], LIST_PAGE_SIZE)  # archived: listed whole
        if paged is None:  # a first sync lists the live records, their companies inline
            total += _pages(counts["live"], LIST_PAGE_SIZE)
            looked_up = counts["gone"]
        else:
            total += _pages(paged.get(name, 0), SEARCH_PAGE_SIZE)
            looked_up = (changed or {}).get(name, 0)
        # One batch read per associated type (companies, contacts) and 1,000 records.
        total += len(spec.association_columns) * math.ceil(looked_up / ASSOCIATION_BATCH_SIZE)
    owners = objects.get("owners", {"live": 0, "gone": 0})
    return total + _pages(owners["live"], LIST_PAGE_SIZE) + _pages(owners["gone"], LIST_PAGE_SIZE)


def min_write_calls(crm: str, creates: int, closes: int = 0) -> int:
    size = SALESFORCE_WRITE_LIMIT if crm == "salesforce" else HUBSPOT_WRITE_LIMIT
    return math.ceil(creates / size) + math.ceil(closes / size)


def rows_at_cursor(
    warehouse: WarehouseArg,
    crm: str,
    excluding: Mapping[str, list[str]] | None = None,
    lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
) -> dict[str, int]:
    """Per object, the live rows an incremental read re-reads: stamped at or after the saved cursor
    minus the lookback (ingest/cursor.py), less `excluding` ids (records changed since: they come
    once, under their new modstamp). Re-read rows cost query/search pages, never a load."""
    if crm == "salesforce":
        tables = {
            o.name: (o.table, f"raw_salesforce.{o.table}", "system_modstamp", "true")
            for o in SALESFORCE_OBJECTS.values()
        }
    else:
        tables = {name: (name, f"raw_hubspot.{name}", MODSTAMP, "not archived") for name in OBJECTS}
    cursors = saved_cursors(warehouse, crm)
    counts = {}
    with connect(warehouse, read_only=True) as con:
        for name, (resource, table, stamp, live) in tables.items():
            at = cursors.get(resource)
            if at is None:
                counts[name] = 0
                continue
            ids = list((excluding or {}).get(name, [])) or [""]
            counts[name] = con.execute(
                f"select count(*) from {table} where {live} and {_not_in(ids)} and {stamp} >= ?",
                [*ids, at - timedelta(seconds=lookback_seconds)],
            ).fetchone()[0]
    return counts


def rows_reread(
    warehouse: WarehouseArg, meetings_since: date, excluding: Mapping[str, list[str]] | None = None
) -> dict[str, int]:
    """Per HubSpot object, the stored rows whose companies the next incremental sync re-reads
    (ingest/hubspot/associations.py), less `excluding` ids (records changed since: their companies
    come with them)."""
    meetings_from = meetings_reread_start(meetings_since, None)
    counts = {}
    with connect(warehouse, read_only=True) as con:
        for name in OBJECTS:
            scope = reread_scope(name, meetings_from)
            if scope is None:
                continue
            where, params = scope
            where = where.replace("%s", "?")  # the re-read's own SQL takes dlt's client's %s style
            ids = list((excluding or {}).get(name, [])) or [""]
            counts[name] = con.execute(
                f"select count(*) from raw_hubspot.{name} where {where} and {_not_in(ids)}",
                [*params, *ids],
            ).fetchone()[0]
    return counts


def _not_in(ids: list[str]) -> str:
    """`id not in (?, ...)`, one placeholder per id (both engines; `ids` is never empty here)."""
    return f"id not in ({', '.join('?' for _ in ids)})"


def saved_cursors(warehouse: WarehouseArg, crm: str) -> dict[str, datetime]:
    """Each resource's saved cursor, from the pipeline state beside the warehouse."""
    resources = make_pipeline(crm, warehouse).state.get("sources", {}).get(crm, {}).get("resources", {})
    return {
        name: datetime.fromisoformat(state[Cursor.STATE_KEY]["at"])
        for name, state in resources.items()
        if state.get(Cursor.STATE_KEY)
    }
