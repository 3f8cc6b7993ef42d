"""The nightly re-read of the associations that decide cadence and potential.

Adding or removing an association is not a property change: on a real portal it does not move the
record's modstamp ("if any association is created after the incremental sync, it is NOT retrieved
(except if object itself is modified again)": https://github.com/airbytehq/airbyte/issues/44554), so
the incremental search never re-reads a meeting that a rep associates with its company the next
morning, and the visit counts for nobody. So every incremental night, after the search pass, the
objects whose links feed a mart re-read their companies (meetings and deals: and contacts) for the
rows the warehouse holds:

- meetings → companies and contacts (the attendees: int_visit_attendees): live meetings whose visit date
  (start time, else `hs_timestamp`, as in int_visits) is on or after `meetings_since`. The nightly job
  (and the bench) pass as-of − the rules' visit window (the longest of the share window and the default
  cadences, 180 days by default) − 1 day of time-zone margin; a sync without an as-of (`cadence ingest`)
  uses the CRM's clock − DEFAULT_MEETING_REREAD_DAYS. Older meetings decide neither `visits_180d` nor
  whether an account on such a cadence is overdue; planned (future) meetings are in. Limit: a meeting
  older than the window that gets associated late moves an already-overdue account's `last_visit_date`
  only when the meeting itself next changes.
- contacts → companies: every live contact (referrers: int_referrers, potential).
- deals → companies and contacts: every live deal (referrals: int_referrals, per contact
  int_referrals_by_contact).

Tasks are not re-read: the pipeline creates its tasks with their company and a person's task decides
no mart.

The ids come from the warehouse's raw tables (the pipeline's destination, read with dlt's sql_client
while the resource extracts; its SQL runs on DuckDB and PostgreSQL: `%s` parameters, which dlt's DuckDB
client rewrites to DuckDB's `?`), and the reads are v4 batch reads of up to 1,000 ids a call (the API's
cap: https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api),
one call per 1,000 records where the per-record v3 read would cost one each. Only rows whose company
or contact set changed are yielded, as their stored row with the new `company_ids` / `contact_ids`, into
the same dlt load: the
sync stays all or nothing, and an unchanged night rewrites no table.

Nightly cost: ⌈live contacts/1000⌉ + 2 × ⌈live deals/1000⌉ + 2 × ⌈meetings in the window/1000⌉ calls of
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

from ingest.hubspot.helpers import HubSpotClient, associated_ids
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
        return f"{_LIVE} and {_MEETING_VISIT_AT} >= %s", [meetings_from]
    if object_type in ("contacts", "deals"):
        return _LIVE, []
    return None


@dataclass
class AssociationReread:
    """One object's re-read: the rows this sync loaded (fresh already), then the changed stored rows.

    Each association column of the object (companies, and contacts for meetings and deals) is re-read
    for the same rows; a row is yielded once, with every re-read column, when any of them changed."""

    client: HubSpotClient
    spec: ObjectSpec
    schema: pa.Schema
    meetings_from: datetime
    loaded: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, client: HubSpotClient, spec: ObjectSpec, schema: pa.Schema, meetings_from: datetime
    ) -> AssociationReread | None:
        """The re-read of `spec`, or None when its associations decide no mart."""
        if reread_scope(spec.name, meetings_from) is None or not spec.association_columns:
            return None
        return cls(client, spec, schema, meetings_from)

    def note(self, table: pa.Table) -> None:
        """Rows loaded by this sync: their associations were just read, and their row is newer."""
        self.loaded.update(table["id"].to_pylist())

    def rows(self) -> Iterator[pa.Table]:
        """The stored rows whose associations changed, with the associations the CRM answers now."""
        scope = reread_scope(self.spec.name, self.meetings_from)
        assert scope is not None  # `of` built it
        columns = self.spec.association_columns
        stored = {
            i: links for i, links in _stored_links(self.spec.name, list(columns), *scope).items()
            if i not in self.loaded
        }  # fmt: skip
        if not stored:
            return
        ids = list(stored)
        now = {
            column: associated_ids(self.client, self.spec.name, to_type, ids)
            for column, to_type in columns.items()
        }
        fresh = {i: {column: now[column].get(i, "") for column in columns} for i in ids}
        changed = {i: links for i, links in fresh.items() if links != stored[i]}
        logger.info("hubspot %s: associations re-read for %d rows", self.spec.name, len(stored))
        logger.info("hubspot %s: %d rows changed associations", self.spec.name, len(changed))
        if changed:
            yield _with_links(_stored_rows(self.spec.name, self.schema, list(changed)), changed)


def _stored_links(table: str, columns: list[str], where: str, params: list[Any]) -> dict[str, dict[str, str]]:
    """id → {association column: ids} of the raw table's rows matching `where` (nothing when it does
    not exist yet; a column a past sync did not load yet reads as empty)."""
    with dlt.current.pipeline().sql_client() as sql:
        name = sql.make_qualified_table_name(table)
        try:
            present = _table_columns(sql, table)
            selected = ", ".join(c if c in present else "null" for c in columns)
            rows = sql.execute_sql(f"select id, {selected} from {name} where {where}", *params)
        except DatabaseUndefinedRelation:
            return {}
    return {
        str(row[0]): {column: value or "" for column, value in zip(columns, row[1:], strict=True)}
        for row in rows or []
    }


def _table_columns(sql: Any, table: str) -> set[str]:
    """The stored table's columns (a warehouse synced before `contact_ids` existed lacks it)."""
    rows = sql.execute_sql(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        sql.dataset_name,
        table,
    )
    if not rows:
        raise DatabaseUndefinedRelation(table)
    return {str(row[0]) for row in rows}


def _stored_rows(table: str, schema: pa.Schema, ids: list[str]) -> pa.Table:
    """The stored rows of `ids`, in the source's Arrow schema (dlt's own columns left out; columns a
    past sync did not load yet come as nulls)."""
    with dlt.current.pipeline().sql_client() as sql:
        name = sql.make_qualified_table_name(table)
        present = _table_columns(sql, table)
        columns = ", ".join(
            f'"{f.name}"' if f.name in present else f'null::varchar as "{f.name}"' for f in schema
        )
        query = f"select {columns} from {name} where id = any(%s::varchar[])"
        with sql.execute_query(query, ids) as cursor:
            chunks = [chunk.cast(schema) for chunk in cursor.iter_arrow(chunk_size=_ROWS_PER_CHUNK)]
    return pa.concat_tables(chunks) if chunks else schema.empty_table()


def _with_links(table: pa.Table, links: dict[str, dict[str, str]]) -> pa.Table:
    ids = table["id"].to_pylist()
    for column in next(iter(links.values())):
        values = pa.array([links[i][column] for i in ids], pa.string())
        table = table.set_column(table.schema.get_field_index(column), column, values)
    return table
