"""The nightly re-read of the associations that decide cadence and potential.

Adding or removing an association is not a property change: on a real portal it does not move the
record's modstamp ("if any association is created after the incremental sync, it is NOT retrieved
(except if object itself is modified again)": https://github.com/airbytehq/airbyte/issues/44554), so
the incremental search never re-reads a meeting that a rep associates with its company the next
morning, and the visit counts for nobody. So every incremental night, after the search pass, the
objects whose company link feeds a mart re-read their companies for the rows the warehouse holds:

- meetings → companies: live meetings whose visit date (start time, else `hs_timestamp`, as in
  int_visits) is on or after `meetings_since`. The nightly job (and the bench) pass as-of − the
  rules' visit window (the longest of the share window and the default cadences, 180 days by default)
  − 1 day of time-zone margin; a sync without an as-of (`cadence ingest`) uses the CRM's clock −
  DEFAULT_MEETING_REREAD_DAYS. Older
  meetings decide neither `visits_180d` nor whether an account on such a cadence is overdue; planned
  (future) meetings are in. Limit: a meeting older than the window that gets associated late moves an
  already-overdue account's `last_visit_date` only when the meeting itself next changes.
- contacts → companies: every live contact (referrers: int_referrers, potential).
- deals → companies: every live deal (referrals: int_referrals).

Tasks are not re-read: the pipeline creates its tasks with their company and a person's task decides
no mart.

The ids come from the warehouse's raw tables (the pipeline's destination, read with dlt's sql_client
while the resource extracts), and the reads are v4 batch reads of up to 1,000 ids a call (the API's
cap: https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api),
one call per 1,000 records where the per-record v3 read would cost one each. Only rows whose company
set changed are yielded, as their stored row with the new `company_ids`, into the same dlt load: the
sync stays all or nothing, and an unchanged night rewrites no table.

Nightly cost: ⌈live contacts/1000⌉ + ⌈live deals/1000⌉ + ⌈meetings in the window/1000⌉ calls of
HubSpot's standard (per-10-seconds) class, whatever changed (README: "Association re-read").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import dlt
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ingest.hubspot.helpers import HubSpotClient, company_ids
from ingest.hubspot.settings import ObjectSpec

logger = logging.getLogger(__name__)

# The rules' default share window (orchestration/rules.py share_window_days, 180) + 1 day of time-zone
# margin: visit dates are local dates of UTC stamps. A test keeps it in step with the rules.
DEFAULT_MEETING_REREAD_DAYS = 181
_ROWS_PER_CHUNK = 10_000  # stored rows fetched per Arrow batch
_LIVE = "not coalesce(archived, false)"
# The visit date of a meeting (int_visits: start date, else activity date), as stamps.
_MEETING_VISIT_AT = "coalesce(hs_meeting_start_time, hs_timestamp)"


def meetings_reread_since(as_of: date, window_days: int) -> date:
    """The first visit date whose meetings are re-read: the window before `as_of`, and one more day
    (visit dates are local dates of UTC stamps)."""
    return as_of - timedelta(days=window_days + 1)


def meetings_reread_start(since: date | None, crm_now: datetime | None) -> datetime:
    """The first instant whose meetings are re-read: `since` at 00:00 UTC, else the CRM's clock −
    DEFAULT_MEETING_REREAD_DAYS (the local clock when the CRM sent no Date)."""
    if since is not None:
        return datetime.combine(since, time(), UTC)
    return (crm_now or datetime.now(UTC)) - timedelta(days=DEFAULT_MEETING_REREAD_DAYS)


def reread_scope(object_type: str, meetings_from: datetime) -> tuple[str, list[Any]] | None:
    """The raw-table predicate (and its parameters) of the rows whose companies are re-read."""
    if object_type == "meetings":
        return f"{_LIVE} and {_MEETING_VISIT_AT} >= ?", [meetings_from]
    if object_type in ("contacts", "deals"):
        return _LIVE, []
    return None


@dataclass
class CompanyReread:
    """One object's re-read: the rows this sync loaded (fresh already), then the changed stored rows."""

    client: HubSpotClient
    spec: ObjectSpec
    schema: pa.Schema
    meetings_from: datetime
    loaded: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, client: HubSpotClient, spec: ObjectSpec, schema: pa.Schema, meetings_from: datetime
    ) -> CompanyReread | None:
        """The re-read of `spec`, or None when its companies decide no mart."""
        if reread_scope(spec.name, meetings_from) is None:
            return None
        return cls(client, spec, schema, meetings_from)

    def note(self, table: pa.Table) -> None:
        """Rows loaded by this sync: their associations were just read, and their row is newer."""
        self.loaded.update(table["id"].to_pylist())

    def rows(self) -> Iterator[pa.Table]:
        """The stored rows whose companies changed, with the companies the CRM answers now."""
        scope = reread_scope(self.spec.name, self.meetings_from)
        assert scope is not None  # `of` built it
        stored = {i: c for i, c in _stored_companies(self.spec.name, *scope).items() if i not in self.loaded}
        if not stored:
            return
        now = company_ids(self.client, self.spec.name, list(stored))
        changed = {i: now.get(i, "") for i, before in stored.items() if now.get(i, "") != before}
        logger.info("hubspot %s: companies re-read for %d rows", self.spec.name, len(stored))
        logger.info("hubspot %s: %d rows changed companies", self.spec.name, len(changed))
        if changed:
            yield _with_companies(_stored_rows(self.spec.name, self.schema, list(changed)), changed)


def _stored_companies(table: str, where: str, params: list[Any]) -> dict[str, str]:
    """id → company_ids of the raw table's rows matching `where` (nothing when it does not exist yet)."""
    with dlt.current.pipeline().sql_client() as sql:
        name = sql.make_qualified_table_name(table)
        try:
            rows = sql.execute_sql(f"select id, company_ids from {name} where {where}", *params)
        except DatabaseUndefinedRelation:
            return {}
    return {str(record_id): companies or "" for record_id, companies in rows or []}


def _stored_rows(table: str, schema: pa.Schema, ids: list[str]) -> pa.Table:
    """The stored rows of `ids`, in the source's Arrow schema (dlt's own columns left out)."""
    columns = ", ".join(f'"{name}"' for name in schema.names)
    with dlt.current.pipeline().sql_client() as sql:
        name = sql.make_qualified_table_name(table)
        query = f"select {columns} from {name} where id in (select unnest(?::varchar[]))"
        with sql.execute_query(query, ids) as cursor:
            chunks = [chunk.cast(schema) for chunk in cursor.iter_arrow(chunk_size=_ROWS_PER_CHUNK)]
    return pa.concat_tables(chunks) if chunks else schema.empty_table()


def _with_companies(table: pa.Table, companies: dict[str, str]) -> pa.Table:
    column = pa.array([companies[i] for i in table["id"].to_pylist()], pa.string())
    return table.set_column(table.schema.get_field_index("company_ids"), "company_ids", column)
