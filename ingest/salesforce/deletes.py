"""Salesforce deletes the Recycle Bin no longer shows: getDeleted, and the key scan (ingest/key_scan.py).

- getDeleted (`GET sobjects/{type}/deleted/?start=&end=`, simple-salesforce `sf.Account.deleted`)
  answers for "no more than 15 days previous to the day the call is executed (or earlier if an
  administrator has purged the Recycle Bin)", refuses older starts with INVALID_REPLICATION_DATE,
  and more than 600,000 ids with EXCEEDED_ID_LIMIT
  (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm).
  Its `earliestDateAvailable` is "the timestamp of the last physically deleted object": later than
  our window's start, deletes inside the window may have left the log, so it cannot vouch for it.
  Its `latestDateCovered` is where the next window starts ("for safety, you must use this value for
  the startDate of your next call",
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getdeleted_getdeletedresult.htm).
- the key scan is `SELECT Id FROM <object> WHERE IsDeleted = false` through `queryAll`, not `query`:
  `query` leaves out archived Tasks and Events ("queryAll() ... returns records that have been deleted
  ... and archived Task and Event records",
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_queryall.htm), which
  are live history (old visits), not deletes. 2,000 ids a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from ingest.cursor import DEFAULT_LOOKBACK_SECONDS
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
from ingest.salesforce.helpers import SalesforceClient, arrow_schema
from ingest.salesforce.helpers import _error_code as error_code  # the REST error body's errorCode
from ingest.salesforce.settings import MAX_PAGE_SIZE, SalesforceField, SalesforceObject

GET_DELETED_DAYS = 15
NIGHTLY = frozenset({"Account"})  # cheap (ids only) and it decides who is nagged: scanned every night
# getDeleted's answers for a window it will not or cannot serve: scan the keys instead.
_UNSERVED = frozenset({"INVALID_REPLICATION_DATE", "EXCEEDED_ID_LIMIT"})
DELETE_FLAG = "is_deleted"
# How long a delete transaction may stay uncommitted: the same margin as the cursor's lookback.
IN_FLIGHT = timedelta(seconds=DEFAULT_LOOKBACK_SECONDS)


def has_deletes(sobject: SalesforceObject) -> bool:
    """User has no IsDeleted: users are deactivated, never deleted."""
    return any(f.api_name == "IsDeleted" for f in sobject.fields)


def plan(
    sobject: SalesforceObject, state: dict[str, Any], crm_now: datetime, key_scan_days: float
) -> DeleteCheck:
    """This run's check for `sobject` (`state`: its resource state, read before the cursor moves)."""
    if not has_deletes(sobject):
        return DeleteCheck(False, None, "never deleted")
    return plan_check(
        DeleteState.of(state),
        crm_now,
        first_sync=never_loaded(state),
        nightly=sobject.name in NIGHTLY,
        key_scan_days=key_scan_days,
        replication_days=GET_DELETED_DAYS,
    )


def marked_deletes(
    client: SalesforceClient,
    sobject: SalesforceObject,
    check: DeleteCheck,
    state: dict[str, Any],
    crm_now: datetime,
    read: ReadIds,
) -> Iterator[pa.Table]:
    """The raw rows of `sobject` the org deleted without the read seeing it, marked `is_deleted`."""
    if not has_deletes(sobject):
        return
    target = Target(sobject.table, DELETE_FLAG, arrow_schema(sobject))
    yield from run_check(
        check,
        state,
        crm_now,
        target,
        read,
        scan=lambda: live_ids(client, sobject),
        get_deleted=lambda since: deleted_since(client, sobject.name, since),
    )


def live_ids(client: SalesforceClient, sobject: SalesforceObject) -> pa.Array:
    """Every live (not deleted) id of the object, archived activities included."""
    keys = SalesforceObject(sobject.name, (SalesforceField("Id"),))
    soql = f"SELECT Id FROM {sobject.name} WHERE IsDeleted = false"
    chunks = [page.table["id"].combine_chunks() for page in client.query_tables(soql, keys, MAX_PAGE_SIZE)]
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())


def deleted_since(client: SalesforceClient, name: str, since: datetime) -> tuple[pa.Array, datetime] | None:
    """Ids getDeleted lists from `since` to Salesforce's now, and the instant covered; None when it
    refuses the window or its log was purged inside it."""
    end = client.server_now() or datetime.now(since.tzinfo)
    if end <= since:
        return id_array([]), since
    answer = client.call(lambda sf: _get_deleted(sf, name, since, end))
    if answer is None or _stamp(answer.get("earliestDateAvailable"), since) > since:
        return None
    ids = id_array(str(record["id"]) for record in answer.get("deletedRecords") or [])
    # The next window starts at latestDateCovered, but never more than IN_FLIGHT before this one's end:
    # a delete still uncommitted after that is left to the key scan (period: cadence.key_scan_days).
    # (It also keeps the window on the clock `end` came from, the `Date` header.)
    return ids, max(_stamp(answer.get("latestDateCovered"), end), end - IN_FLIGHT)


def _get_deleted(sf: Salesforce, name: str, start: datetime, end: datetime) -> dict[str, Any] | None:
    try:
        return getattr(sf, name).deleted(start, end)
    except SalesforceMalformedRequest as error:
        if error_code(error) in _UNSERVED:
            return None
        raise


def _stamp(text: str | None, default: datetime) -> datetime:
    """A Salesforce dateTime (`2026-01-05T09:00:00.000+0000`)."""
    if not text:
        return default
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
