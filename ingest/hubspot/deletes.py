"""HubSpot deletes the archived list no longer shows: the key scan against the live list (ingest/key_scan.py).

A deleted record stays restorable, and listed by `GET /crm/v3/objects/{type}?archived=true`, for 90 days;
then it is permanently deleted ("you can restore ... deleted in the last 90 days",
https://knowledge.hubspot.com/records/restore-deleted-records), and a GDPR delete or a "permanently
delete" from the recycle bin removes it at once
(https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/gdpr/gdpr-delete-contact):
gone from both lists, with no trace for an incremental read. HubSpot has no getDeleted, so the check
is the key scan: `GET /crm/v3/objects/{type}?limit=100` without `properties` (the record ids and a few
default properties, 100 a page; list calls count against the 10-second limit, not search's 5/s:
https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines). Companies every
night, the other objects once a key-scan period.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from ingest.hubspot.helpers import HubSpotClient
from ingest.hubspot.settings import ObjectSpec
from ingest.key_scan import (
    DeleteCheck,
    DeleteState,
    ReadIds,
    Target,
    id_array,
    never_loaded,
    plan_check,
    run_check,
)

NIGHTLY = frozenset({"companies"})  # ids only, and they decide who is nagged: scanned every night
DELETE_FLAG = "archived"


def plan(spec: ObjectSpec, state: dict[str, Any], crm_now: datetime, key_scan_days: float) -> DeleteCheck:
    """This run's check for `spec` (`state`: its resource state, read before the cursor moves)."""
    return plan_check(
        DeleteState.of(state),
        crm_now,
        first_sync=never_loaded(state),
        nightly=spec.name in NIGHTLY,
        key_scan_days=key_scan_days,
        replication_days=None,
    )


def marked_deletes(
    client: HubSpotClient,
    spec: ObjectSpec,
    schema: pa.Schema,
    check: DeleteCheck,
    state: dict[str, Any],
    crm_now: datetime,
    read: ReadIds,
) -> Iterator[pa.Table]:
    """The raw rows of `spec` the portal deleted for good without the read seeing it, marked `archived`."""
    target = Target(spec.name, DELETE_FLAG, schema)
    yield from run_check(check, state, crm_now, target, read, scan=lambda: live_ids(client, spec.name))


def live_ids(client: HubSpotClient, object_type: str) -> pa.Array:
    """Every live (not archived) id of the object type."""
    pages = client.list_pages(f"/crm/v3/objects/{object_type}", {})
    return id_array(str(record["id"]) for page in pages for record in page)
