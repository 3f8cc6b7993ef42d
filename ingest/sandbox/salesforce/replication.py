"""Record lifecycle beyond a single write: the value index behind unique fields and External-ID lookups,
the Recycle Bin purge, activity archiving, getDeleted / getUpdated, and the Organization record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.sandbox import soql
from ingest.sandbox.core.http import ApiError, Request
from ingest.sandbox.core.store import DocumentStore, Record
from ingest.sandbox.salesforce.errors import salesforce_error
from ingest.sandbox.salesforce.models import ORG_ID, salesforce_timestamp

if TYPE_CHECKING:
    from ingest.sandbox.salesforce.responses import SalesforceApi

# getDeleted answers for the last 15 days ("Results are returned for no more than 15 days previous to
# the day the call is executed", https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm);
# getUpdated for the last 30 ("no more than 30 days previous",
# https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getupdated.htm).
DELETED_WINDOW_DAYS = 15
UPDATED_WINDOW_DAYS = 30


def unique_key(value: Any) -> Any:
    """Unique and External ID text matches case-insensitively (describe caseSensitive false)."""
    return value.casefold() if isinstance(value, str) else value


def hidden(record: Record) -> bool:
    """What `query` leaves out and `queryAll` returns: deleted and archived records."""
    return bool(record.get("IsDeleted") or record.get("IsArchived"))


class ValueIndex:
    """(sobject, field) -> value -> ids of live records. Built on first use, kept current by the API's
    own writes, dropped when anything else edits the store (its generation moved)."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self._maps: dict[tuple[str, str], dict[Any, set[str]]] = {}
        self._generation = store.generation

    def ids(self, sobject: str, field: str, value: Any) -> set[str]:
        self._sync()
        index = self._maps.get((sobject, field))
        if index is None:
            index = self._maps[(sobject, field)] = {}
            for record in self.store.salesforce.get(sobject, {}).values():
                self._add(index, record, field)
        return set(index.get(value, ()))

    def replace(self, sobject: str, old: Record | None, new: Record) -> None:
        self._sync()
        for (indexed_sobject, field), index in self._maps.items():
            if indexed_sobject != sobject:
                continue
            if old is not None and old.get(field) is not None:
                index.get(unique_key(old[field]), set()).discard(old["Id"])
            self._add(index, new, field)

    def commit_generation(self, mark_dirty: Callable[[], None]) -> None:
        """Run the store's mark_dirty; the index stays valid across this API's own write."""
        current = self._generation == self.store.generation
        mark_dirty()
        if current:
            self._generation = self.store.generation

    def _sync(self) -> None:
        if self._generation != self.store.generation:
            self._maps.clear()
            self._generation = self.store.generation

    @staticmethod
    def _add(index: dict[Any, set[str]], record: Record, field: str) -> None:
        value = record.get(field)
        if value is not None and not record.get("IsDeleted"):
            index.setdefault(unique_key(value), set()).add(record["Id"])


# ---- profile-driven maintenance (caller holds store.lock) -------------------------------------------
def maintain(api: SalesforceApi, sobject: str) -> None:
    """Purge the Recycle Bin and archive old activities as the profile says, before a read."""
    profile, now = api.profile, api.store.now()
    if profile.recycle_bin_days is not None:
        purge(api, sobject, salesforce_timestamp(now - timedelta(days=profile.recycle_bin_days)))
    if profile.archive_after_days is not None and sobject in ("Task", "Event"):
        _archive(api, sobject, now - timedelta(days=profile.archive_after_days))


def archive_due(api: SalesforceApi) -> None:
    """Archive every activity the profile says is old, now. Salesforce archives in the background,
    whether or not anyone reads (Help, "Archived Activities"), so an org served under the realistic
    profile holds its archived flags from the start, not only after its first query of the object."""
    if api.profile.archive_after_days is None:
        return
    with api.store.lock:
        cutoff = api.store.now() - timedelta(days=api.profile.archive_after_days)
        for sobject in ("Task", "Event"):
            _archive(api, sobject, cutoff)


def purge(api: SalesforceApi, sobject: str, deleted_before: str | None) -> int:
    """Remove deleted records (all, or those deleted before the stamp) from every query, for good."""
    records = api.store.salesforce.get(sobject, {})
    doomed = [
        record_id
        for record_id, record in records.items()
        if record.get("IsDeleted")
        and (deleted_before is None or soql.datetime_key(record["SystemModstamp"]) < deleted_before)
    ]
    for record_id in doomed:
        stamp = records.pop(record_id).get("SystemModstamp")
        latest = api.purged_until.get(sobject)
        api.purged_until[sobject] = max(latest or stamp, stamp)
    if doomed:
        api.store.mark_dirty()
    return len(doomed)


def _archive(api: SalesforceApi, sobject: str, cutoff: datetime) -> None:
    """Salesforce archives events that ended and closed tasks due more than the archive age ago
    (Help, "Archived Activities"); archiving does not touch SystemModstamp."""
    day, stamp = cutoff.date().isoformat(), salesforce_timestamp(cutoff)
    records = api.store.salesforce.get(sobject, {})
    changed = False
    for record_id, record in records.items():
        if record.get("IsArchived") or record.get("IsDeleted"):
            continue
        if sobject == "Task":
            due = record.get("ActivityDate") or str(record.get("CreatedDate") or "")[:10]
            old = bool(record.get("IsClosed")) and bool(due) and due < day
        else:
            ended = record.get("EndDateTime") or record.get("ActivityDateTime") or record.get("StartDateTime")
            old = bool(ended) and soql.datetime_key(ended) < stamp
        if old:
            records[record_id] = {**record, "IsArchived": True}
            changed = True
    if changed:
        api.store.mark_dirty()


# ---- getDeleted / getUpdated ---------------------------------------------------------------------------
def _window(request: Request, now: datetime, days: int) -> tuple[str, str]:
    try:
        start = soql.datetime_key(request.arg("start") or "")
        end = soql.datetime_key(request.arg("end") or "")
    except ValueError as error:
        message = "start and end must be ISO 8601 date-times, e.g. 2026-01-05T09:00:00+00:00"
        raise ApiError(400, salesforce_error("MALFORMED_QUERY", message)) from error
    if start < salesforce_timestamp(now - timedelta(days=days)):
        message = f"startDate cannot be more than {days} days ago"
        raise ApiError(400, salesforce_error("INVALID_REPLICATION_DATE", message))
    if end <= start:
        raise ApiError(400, salesforce_error("INVALID_REPLICATION_DATE", "endDate must be after startDate"))
    return start, min(end, salesforce_timestamp(now))


def get_deleted(api: SalesforceApi, request: Request) -> Any:
    """GetDeletedResult: deletedRecords [{id, deletedDate}], earliestDateAvailable, latestDateCovered
    (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getdeleted_getdeletedresult.htm)."""
    sobject = api.sobject_of(request)
    with api.store.lock:
        maintain(api, sobject)
        now = api.store.now()
        start, end = _window(request, now, DELETED_WINDOW_DAYS)
        deleted = [
            {"id": r["Id"], "deletedDate": r["SystemModstamp"]}
            for r in api.store.salesforce.get(sobject, {}).values()
            if r.get("IsDeleted") and start <= soql.datetime_key(r["SystemModstamp"]) <= end
        ]
        earliest = api.purged_until.get(sobject) or salesforce_timestamp(
            now - timedelta(days=DELETED_WINDOW_DAYS)
        )
    deleted.sort(key=lambda d: d["deletedDate"])
    return {"deletedRecords": deleted, "earliestDateAvailable": earliest, "latestDateCovered": end}


def get_updated(api: SalesforceApi, request: Request) -> Any:
    """GetUpdatedResult: ids, latestDateCovered
    (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getupdated.htm)."""
    sobject = api.sobject_of(request)
    with api.store.lock:
        start, end = _window(request, api.store.now(), UPDATED_WINDOW_DAYS)
        ids = [
            r["Id"]
            for r in api.store.salesforce.get(sobject, {}).values()
            if not r.get("IsDeleted") and start <= soql.datetime_key(r["SystemModstamp"]) <= end
        ]
    return {"ids": ids, "latestDateCovered": end}


# ---- the Organization object ------------------------------------------------------------------------
def organization_record(store: DocumentStore) -> Record:
    """The org itself (Object Reference, Organization); an org file may give its own record instead."""
    stamp = "2025-01-01T00:00:00.000+0000"
    return {
        "Id": ORG_ID,
        "Name": "Cadence Sandbox",
        "OrganizationType": "Enterprise Edition",
        "InstanceName": "SANDBOX1",
        "IsSandbox": True,
        "TimeZoneSidKey": "America/Los_Angeles",
        "LanguageLocaleKey": "en_US",
        "DefaultLocaleSidKey": "en_US",
        "CreatedDate": stamp,
        "CreatedById": "005000000000000AAA",
        "LastModifiedDate": stamp,
        "LastModifiedById": "005000000000000AAA",
        "SystemModstamp": stamp,
    }
