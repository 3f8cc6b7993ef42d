"""The SOQL compiler: a parsed query bound to one object's fields, as plain Python predicates and
sort keys (no eval)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from ingest.sandbox.soql import dates
from ingest.sandbox.soql.aggregate import CompiledAggregate, compile_aggregate
from ingest.sandbox.soql.parser import (
    Comparison,
    Condition,
    Junction,
    Literal,
    Membership,
    Negation,
    SoqlQuery,
)
from ingest.sandbox.soql.values import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    KeyFunction,
    Predicate,
    Record,
    SoqlError,
    key_for_type,
    malformed,
)

# ---- compiler ----------------------------------------------------------------------------------

FieldTypes = Mapping[str, tuple[str, str]]  # lower-case name -> (API name, field type)

_LITERAL_KIND_FOR_TYPE = {"datetime": "datetime", "date": "date", "boolean": "boolean"}
_ORDERING_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class CompiledQuery:
    """A query bound to one object's fields: what to select, how to filter, sort and cut."""

    sobject: str
    fields: tuple[str, ...]  # API names, in SELECT order
    predicate: Predicate | None
    order_by: tuple[tuple[str, KeyFunction, bool, bool], ...]  # field, key, descending, nulls_first
    limit: int | None
    count_only: bool
    offset: int = 0

    def run(self, records: Iterable[Record]) -> list[Record]:
        """Matching records, sorted, offset and limited; `records` exclude what the caller hides."""
        matched = list(records) if self.predicate is None else [r for r in records if self.predicate(r)]
        for field, key, descending, nulls_first in reversed(self.order_by):
            matched = _sorted_by(matched, field, key, descending, nulls_first)  # stable: last key first
        if self.offset:
            matched = matched[self.offset :]
        return matched if self.limit is None else matched[: self.limit]


def _sorted_by(
    records: list[Record], field: str, key: KeyFunction, descending: bool, nulls_first: bool
) -> list[Record]:
    values = [r for r in records if r.get(field) is not None]
    nulls = [r for r in records if r.get(field) is None] if len(values) < len(records) else []
    values.sort(key=lambda r: key(r[field]), reverse=descending)  # stable, also when reversed
    return nulls + values if nulls_first else values + nulls


Today = Callable[[], date]


def _utc_today() -> date:
    return datetime.now(UTC).date()


def compile_query(
    query: SoqlQuery, sobject: str, field_types: FieldTypes, today: Today = _utc_today
) -> CompiledQuery | CompiledAggregate:
    """Bind `query` to an object's fields (lower-case name -> (API name, type)); raises INVALID_FIELD.
    `today` (the sandbox clock's day) is read only when a date literal needs it."""
    if query.is_aggregate:
        condition = partial(_compile_condition, today=today)
        return compile_aggregate(query, sobject, field_types, _resolve, condition)
    fields = tuple(_resolve(field_types, sobject, name)[0] for name in query.fields)
    if len(set(fields)) != len(fields):
        raise malformed("duplicate field selected")
    order_by = tuple(
        (api_name, key_for_type(field_type), key.descending, key.nulls_first)
        for key in query.order_by
        for api_name, field_type in [_resolve(field_types, sobject, key.field)]
    )
    predicate = None if query.where is None else _compile_condition(query.where, sobject, field_types, today)
    return CompiledQuery(sobject, fields, predicate, order_by, query.limit, query.count_only, query.offset)


def _resolve(field_types: FieldTypes, sobject: str, name: str) -> tuple[str, str]:
    found = field_types.get(name.lower())
    if found is None:
        raise SoqlError(
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom field, "
            "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
            "describe call for the appropriate names.",
        )
    return found


def _compile_condition(
    condition: Condition, sobject: str, field_types: FieldTypes, today: Today
) -> Predicate:
    if isinstance(condition, Junction):
        parts = [_compile_condition(part, sobject, field_types, today) for part in condition.parts]
        if condition.op == "AND":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    if isinstance(condition, Negation):
        inner = _compile_condition(condition.part, sobject, field_types, today)
        return lambda record: not inner(record)
    field, field_type = _resolve(field_types, sobject, condition.field)
    if field_type in ("address", "location"):  # compound fields: describe filterable false
        raise SoqlError("INVALID_FIELD", f"compound field '{field}' can not be filtered in a query call")
    if isinstance(condition, Membership):
        return _membership(field, field_type, condition)
    if condition.literal.kind == "date_literal":
        return _date_range(field, field_type, condition, today())
    return _comparison(field, field_type, condition)


def _date_range(field: str, field_type: str, condition: Comparison, today: date) -> Predicate:
    """A comparison with a date literal's day range [start, end) (see soql/dates.py)."""
    if field_type not in ("date", "datetime") or condition.op == "LIKE":
        raise SoqlError(
            "INVALID_FIELD", f"a date literal cannot be compared with field '{field}' of type {field_type}"
        )
    first, after = dates.day_range(*condition.literal.value, today)
    suffix = "T00:00:00.000+0000" if field_type == "datetime" else ""
    start, end = first.isoformat() + suffix, after.isoformat() + suffix
    key = key_for_type(field_type)
    inside: dict[str, Callable[[Any], bool]] = {
        "=": lambda k: start <= k < end,
        "!=": lambda k: not start <= k < end,
        "<": lambda k: k < start,
        "<=": lambda k: k < end,
        ">": lambda k: k >= end,
        ">=": lambda k: k >= start,
    }
    test = inside[condition.op]
    if condition.op == "!=":
        return lambda record: (value := record.get(field)) is None or test(key(value))
    return lambda record: (value := record.get(field)) is not None and test(key(value))


def _literal_key(field: str, field_type: str, literal: Literal) -> Any:
    """The literal as a comparable key of the field's type; a mismatch is refused as Salesforce does."""
    if literal.kind == "null":
        return None
    expected = _LITERAL_KIND_FOR_TYPE.get(field_type, "number" if field_type in NUMBER_TYPES else "string")
    if literal.kind != expected:
        raise SoqlError(
            "INVALID_FIELD",
            f"value of filter criterion for field '{field}' must be of type {field_type} "
            f"and should{' not' if expected != 'string' else ''} be enclosed in quotes",
        )
    value = literal.value.replace("\\%", "%").replace("\\_", "_") if expected == "string" else literal.value
    return key_for_type(field_type)(value)


def _comparison(field: str, field_type: str, condition: Comparison) -> Predicate:
    if condition.op == "LIKE":
        return _like(field, field_type, condition.literal.value)
    expected = _literal_key(field, field_type, condition.literal)
    key = key_for_type(field_type)
    if condition.op == "=":
        if expected is None:
            return lambda record: record.get(field) is None
        return lambda record: (value := record.get(field)) is not None and key(value) == expected
    if condition.op == "!=":
        if expected is None:
            return lambda record: record.get(field) is not None
        # SOQL's != keeps records whose value is null (no three-valued logic).
        return lambda record: (value := record.get(field)) is None or key(value) != expected
    if expected is None or field_type == "boolean":
        raise SoqlError("INVALID_FIELD", f"operator {condition.op} cannot be used with field '{field}' here")
    compare = _ORDERING_OPERATORS[condition.op]
    return lambda record: (value := record.get(field)) is not None and compare(key(value), expected)


def _membership(field: str, field_type: str, condition: Membership) -> Predicate:
    if any(literal.kind == "date_literal" for literal in condition.literals):
        raise malformed("date literals in IN lists are not supported by the sandbox")
    expected = {_literal_key(field, field_type, literal) for literal in condition.literals}
    key = key_for_type(field_type)

    def contains(record: Record) -> bool:
        value = record.get(field)
        return (None if value is None else key(value)) in expected

    if condition.negated:
        return lambda record: not contains(record)
    return contains


def _like(field: str, field_type: str, pattern: str) -> Predicate:
    if field_type not in TEXT_TYPES | ID_TYPES:
        raise SoqlError("INVALID_FIELD", f"LIKE cannot be used with field '{field}' of type {field_type}")
    regex = re.compile(_like_to_regex(pattern), re.IGNORECASE | re.DOTALL)
    return lambda record: (value := record.get(field)) is not None and regex.fullmatch(str(value)) is not None


def _like_to_regex(pattern: str) -> str:
    parts: list[str] = []
    position = 0
    while position < len(pattern):
        if pattern.startswith(("\\%", "\\_"), position):
            parts.append(re.escape(pattern[position + 1]))
            position += 2
            continue
        char = pattern[position]
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        position += 1
    return "".join(parts)
