"""A deterministic, realistic org for the sandbox CRM (the org file of `shared/design/sandbox.md`).

One CRM-neutral plan (reps, accounts, referrers, referrals, visits, people's tasks, junk) is drawn from
`random.Random(seed)`; the Salesforce and HubSpot halves are two shapings of that same plan, so both
CRMs of one org tell the same cadence story and differ only in wire format and ids.

Time is kept as integer minutes relative to the anchor (midnight UTC of `anchor_date`, the org's "now"):
negative is the past. Wire timestamps are built from cached per-day strings plus a per-minute suffix,
because formatting a datetime per record would dominate a 1,000,000-visit run.
"""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from ingest.sandbox.generator.hubspot import shape_hubspot
from ingest.sandbox.generator.people import plan_people
from ingest.sandbox.generator.plan import CRMS, JUNK_NAMES, plan_org
from ingest.sandbox.generator.salesforce import shape_salesforce
from ingest.sandbox.generator.wire import salesforce_id_suffix


# ---- public API ---------------------------------------------------------------------------------------
def generate_org(
    accounts: int = 2000,
    seed: int = 7,
    visits: int | None = None,
    crms: Sequence[str] = CRMS,
    anchor_date: date | None = None,
    custom_fields: bool = True,
    junk: bool = True,
) -> dict[str, Any]:
    """The org document; `accounts` and `visits` (default 10 per account) are per CRM.

    Same arguments give byte-identical output; both CRMs are shaped from one plan.
    """
    unknown = set(crms) - set(CRMS)
    if unknown:
        raise ValueError(f"unknown CRM(s): {sorted(unknown)}; expected salesforce and/or hubspot")
    anchor = anchor_date or datetime.now(UTC).date()
    with _gc_paused():
        plan = plan_org(accounts, seed, 10 * accounts if visits is None else visits, anchor, junk)
        document: dict[str, Any] = {}
        people = plan_people(plan)  # drawn once: both CRMs name the same people
        if "salesforce" in crms:
            document["salesforce"] = shape_salesforce(plan, custom_fields, people)
        if "hubspot" in crms:
            document["hubspot"] = shape_hubspot(plan, custom_fields, people)
    return document


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of new containers would trigger full collections over and over; none form cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_org(document: dict[str, Any], path: Path) -> None:
    """Write atomically (temp file + rename), so a sandbox never loads half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps(document))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def org_summary(document: dict[str, Any]) -> dict[str, int]:
    """Record counts per CRM object, e.g. {"salesforce.Account": 2000, "hubspot.meetings": 20000}."""
    return {
        f"{crm}.{name}": len(records)
        for crm in CRMS
        for name, records in (document.get(crm) or {}).items()
        if isinstance(records, list)
    }


__all__ = [
    "JUNK_NAMES",
    "generate_org",
    "org_summary",
    "plan_org",
    "salesforce_id_suffix",
    "shape_hubspot",
    "shape_salesforce",
    "write_org",
]
