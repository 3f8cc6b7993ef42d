"""Quarantine, not abort: values a CRM sends that cannot be typed, and records stamped in the future.

One junk value must not stop a night for everyone. A CRM's API does not always honour its own types:
a date field holding `2026-02-30` or `not a date` (data loaded by an import tool or an old integration
that bypassed validation), an empty string where a date belongs. The sources type every page in Arrow;
a value that does not cast becomes null in the raw table and a row in `raw_<crm>.rejected_records`
(object, id, column, value, reason, the record's modstamp, when the sync saw it), and the sync goes on.

A record whose modstamp is after the CRM's own clock (plus `FUTURE_TOLERANCE`) cannot be a real write:
both CRMs stamp modstamps themselves (Salesforce: "SystemModstamp ... is read-only and set by the
system", Object Reference, System Fields; HubSpot: `hs_lastmodifieddate` is a read-only,
HubSpot-calculated property, "Default company properties"). Such a record (a data-fix script, a bad
import, a sandbox clock) is left out of the raw table, rejected with its stamp, and never moves the
cursor; every sync reads it again until the CRM's copy is fixed, so it stays reported.

dbt reads the table (stg_<crm>__rejected_records → int_rejected_records), adds its own range checks,
keeps rejected records' accounts out of the writeback queue, and the quality suite warns about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

REJECTED_TABLE = "rejected_records"
# CRM servers are NTP-synchronised; a modstamp minutes ahead of the CRM's own `Date` is no clock skew.
FUTURE_TOLERANCE = timedelta(minutes=5)
UNTYPED = "cannot be read as"
FUTURE = "modstamp is after the CRM's clock"

REJECTED_SCHEMA = pa.schema(
    [
        pa.field("object", pa.string(), nullable=False),
        pa.field("id", pa.string()),
        pa.field("column", pa.string(), nullable=False),
        pa.field("value", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("modstamp", pa.timestamp("us", tz="UTC")),
        pa.field("seen_at", pa.timestamp("us", tz="UTC")),
    ]
)


# The variant's own columns, so none of the yielding resource's hints (its cursor column) carry over.
_COLUMN_HINTS: list[dict[str, Any]] = [
    {"name": f.name, "data_type": "timestamp" if pa.types.is_timestamp(f.type) else "text",
     "nullable": f.nullable, **({"timezone": True} if pa.types.is_timestamp(f.type) else {})}
    for f in REJECTED_SCHEMA
]  # fmt: skip


def cast_or_null(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """`values` (strings) cast to `target`, and a mask of the values that would not cast (now null).

    The whole column is cast at once; only a column that fails is cast value by value, so a clean
    page costs what it did before.
    """
    try:
        return pc.cast(values, target), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    typed, bad = [], []
    for value in values.to_pylist():
        try:
            typed.append(pc.cast(pa.array([value], values.type), target)[0].as_py())
            bad.append(False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            typed.append(None)
            bad.append(True)
    return pa.array(typed, target), pa.array(bad, pa.bool_())


@dataclass
class Rejections:
    """The rejected values of one page; `table()` is what lands in `rejected_records`."""

    object_name: str
    seen_at: datetime | None
    _parts: list[pa.Table] = field(default_factory=list)

    def add(
        self, ids: pa.Array, column: str, values: pa.Array, modstamps: pa.Array, mask: Any, reason: str
    ) -> None:
        """Reject the rows of `mask` (a boolean array): their `values` of `column`, for `reason`."""
        if mask is None or not pc.any(mask).as_py():
            return
        rows = pc.fill_null(mask, False)
        count = pc.sum(rows).as_py()
        self._parts.append(
            pa.table(
                {
                    "object": pa.array([self.object_name] * count, pa.string()),
                    "id": pc.filter(ids, rows),
                    "column": pa.array([column] * count, pa.string()),
                    "value": pc.cast(pc.filter(values, rows), pa.string()),
                    "reason": pa.array([reason] * count, pa.string()),
                    "modstamp": pc.cast(pc.filter(modstamps, rows), REJECTED_SCHEMA.field("modstamp").type),
                    "seen_at": pa.array([self.seen_at] * count, REJECTED_SCHEMA.field("seen_at").type),
                },
                schema=REJECTED_SCHEMA,
            )
        )

    def table(self) -> pa.Table | None:
        return pa.concat_tables(self._parts) if self._parts else None


def untyped_reason(target: pa.DataType) -> str:
    return f"{UNTYPED} {_type_name(target)}"


def _type_name(target: pa.DataType) -> str:
    if pa.types.is_timestamp(target):
        return "a timestamp"
    if pa.types.is_date(target):
        return "a date"
    return "a number" if pa.types.is_floating(target) else str(target)


def without_future(
    table: pa.Table, stamp_column: str, crm_now: datetime | None, rejections: Rejections, key: str = "id"
) -> pa.Table:
    """`table` without the rows stamped after the CRM's clock + tolerance; those are rejected."""
    if crm_now is None or not table.num_rows:
        return table
    limit = pa.scalar(crm_now + FUTURE_TOLERANCE, table.schema.field(stamp_column).type)
    future = pc.fill_null(pc.greater(table[stamp_column], limit), False)
    if not pc.any(future).as_py():
        return table
    stamps = table[stamp_column].combine_chunks()
    rejections.add(table[key].combine_chunks(), stamp_column, stamps, stamps, future.combine_chunks(), FUTURE)
    return table.filter(pc.invert(future))


def rejected_items(tables: Iterable[pa.Table | None]) -> pa.Table | None:
    parts = [table for table in tables if table is not None and table.num_rows]
    return pa.concat_tables(parts) if parts else None


def as_rejected_records(table: pa.Table) -> Any:
    """`table` marked for the `rejected_records` table (a variant of the yielding resource's table).

    Appended: a rejected version read twice (a night whose raw check failed is read again) is one
    rejection in dbt, which keeps the first sighting.
    """
    hints = dlt.mark.make_hints(
        table_name=REJECTED_TABLE, write_disposition="append", primary_key=[], columns=_COLUMN_HINTS
    )
    return dlt.mark.with_hints(table, hints, create_table_variant=True)
