"""HubSpot search: filterGroups and sorts compiled to set algebra over cached, parsed property columns."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from functools import partial
from typing import Any

from ingest.sandbox.core.store import Record
from ingest.sandbox.hubspot.errors import validation_error
from ingest.sandbox.hubspot.models import PropertyDef, converter, raw_property

MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq, "GT": operator.gt, "GTE": operator.ge, "LT": operator.lt, "LTE": operator.le,
}  # fmt: skip


# ---- search filters -----------------------------------------------------------------------------

Column = Mapping[str, Any]  # record id -> comparable value, for records that have one
# (property, test on a set value, whether records without a value match)
ValueTest = tuple[str, Callable[[Any], bool], bool]
ColumnOf = Callable[[str], Column]


def column_over(records: Iterable[tuple[str, Record]], name: str, convert: Callable[[Any], Any]) -> Column:
    """{id: comparable value of `name`} over the records that have a readable value."""
    column: dict[str, Any] = {}
    for record_id, record in records:
        raw = raw_property(record, name)
        if raw is None or raw == "":
            continue
        try:
            column[record_id] = convert(raw)
        except (TypeError, ValueError, OverflowError):
            continue  # unreadable junk compares like an unset value
    return column


def matching_ids(
    schema: dict[str, PropertyDef], groups: Any, column_of: ColumnOf, all_ids: AbstractSet[str]
) -> AbstractSet[str]:
    """Ids whose record satisfies any group (all filters of it); set algebra over parsed columns."""
    if not isinstance(groups, list) or len(groups) > MAX_FILTER_GROUPS:
        raise validation_error(f"filterGroups must be a list of at most {MAX_FILTER_GROUPS} groups")
    if not groups:
        return all_ids
    compiled = [_compile_group(schema, group) for group in groups]  # validate everything before scanning
    matched: set[str] = set()
    for group in compiled:
        matched |= set.intersection(*(_filter_ids(test, column_of, all_ids) for test in group))
    return matched


def _compile_group(schema: dict[str, PropertyDef], group: Any) -> list[ValueTest]:
    filters = group.get("filters") if isinstance(group, dict) else None
    if not isinstance(filters, list) or not 1 <= len(filters) <= MAX_FILTERS_PER_GROUP:
        raise validation_error(f"each filterGroup needs 1 to {MAX_FILTERS_PER_GROUP} filters")
    return [_compile_filter(schema, spec) for spec in filters]


def _filter_ids(value_test: ValueTest, column_of: ColumnOf, all_ids: AbstractSet[str]) -> set[str]:
    name, test, matches_unset = value_test
    column = column_of(name)
    ids = {record_id for record_id, value in column.items() if test(value)}
    return ids | (all_ids - column.keys()) if matches_unset else ids


def _compile_filter(schema: dict[str, PropertyDef], spec: Any) -> ValueTest:
    name = spec.get("propertyName") if isinstance(spec, dict) else None
    op = spec.get("operator") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not name:
        raise validation_error("each filter needs a propertyName")
    convert = partial(_filter_value, converter(schema.get(name)), name)
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        has = op == "HAS_PROPERTY"
        return name, lambda value: has, not has
    if op in _COMPARISONS:
        return name, partial(_flip(_COMPARISONS[op]), convert(spec.get("value"))), False
    if op == "NEQ":  # like HubSpot, records without the property are "not equal" too
        return name, partial(operator.ne, convert(spec.get("value"))), True
    if op == "BETWEEN":
        low, high = convert(spec.get("value")), convert(spec.get("highValue"))
        return name, lambda value: low <= value <= high, False
    if op in ("IN", "NOT_IN"):
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise validation_error(f"{op} on {name} needs a non-empty `values` list")
        members = {convert(v) for v in values}
        if op == "IN":
            return name, members.__contains__, False
        return name, lambda value: value not in members, True
    raise validation_error(f"operator {op!r} is not supported (filter on {name})")


def _flip(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """compare(value, target) as a function of (target, value), for partial(..., target)."""
    return lambda target, value: compare(value, target)


def _filter_value(convert: Callable[[Any], Any], name: str, value: Any) -> Any:
    if value is None:
        raise validation_error(f"the filter on {name} needs a value")
    try:
        return convert(value)
    except (TypeError, ValueError, OverflowError):
        raise validation_error(f"{value!r} is not a valid value to compare {name} with") from None


def parse_sort(sorts: Any) -> tuple[str, bool] | None:
    """(property, descending) of the single sort HubSpot allows, or None."""
    if not isinstance(sorts, list) or len(sorts) > 1:
        raise validation_error("at most one sort is allowed")
    if not sorts:
        return None
    sort = sorts[0]
    if isinstance(sort, str):  # the client's model types sorts as strings: "prop" or "-prop"
        return sort.removeprefix("-"), sort.startswith("-")
    if not isinstance(sort, dict) or not isinstance(sort.get("propertyName"), str):
        raise validation_error("a sort needs a propertyName")
    direction = str(sort.get("direction", "ASCENDING")).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise validation_error(f"sort direction must be ASCENDING or DESCENDING, got {direction!r}")
    return sort["propertyName"], direction == "DESCENDING"


def sorted_ids(ids: list[str], sort: tuple[str, bool] | None, column_of: ColumnOf) -> list[str]:
    """`ids` (in id order) in sort order, ties kept in id order (stable pages); ids lacking the value last."""
    if sort is None:
        return ids
    column = column_of(sort[0])
    present = [i for i in ids if i in column]
    present.sort(key=column.__getitem__, reverse=sort[1])  # stable even reversed: ties keep id order
    return present + [i for i in ids if i not in column]
