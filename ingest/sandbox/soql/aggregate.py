"""SOQL aggregate queries: `GROUP BY` one or more fields, the aggregate functions, aliases, `HAVING`.

What Salesforce documents and the sandbox models (SOQL and SOSL Reference):
- "GROUP BY": every non-aggregated SELECT field must be grouped ("Field must be grouped or
  aggregated"); a null value is a group of its own; a field whose describe says `groupable: false`
  (long text, datetime, number, currency, percent, ...) can't be grouped.
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_groupby.htm
- "Aggregate Functions": COUNT(field) counts non-null values, COUNT_DISTINCT(field) distinct non-null
  values, SUM and AVG need a numeric field, MIN and MAX keep the field's type; with no GROUP BY the
  answer is one row.
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_agg_functions.htm
- "Using Aliases with GROUP BY": an aggregated field without an alias is named `expr0`, `expr1`, ...
  in SELECT order, counting only the unaliased aggregates.
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_alias.htm
- "HAVING": filters the groups, on aggregates or grouped fields.
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_having.htm
- The records are `AggregateResult`s; aggregate queries don't support queryMore, so more than 2,000
  groups is refused ("Aggregate query does not support queryMore(), use LIMIT to restrict the results
  to a single batch").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.sandbox.soql.parser import SelectItem, SoqlQuery
from ingest.sandbox.soql.values import NUMBER_TYPES, KeyFunction, Predicate, Record, key_for_type, malformed

MAX_AGGREGATE_ROWS = 2000  # one batch; aggregate queries have no queryMore
# Describe's `groupable` is false for these types (DescribeSObjectResult Field, "groupable"):
# https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm
UNGROUPABLE_TYPES = frozenset(
    {"textarea", "address", "location", "multipicklist", "datetime", "double", "currency", "percent"}
)
_AGGREGATE_REF = re.compile(r"(?P<function>\w+)\((?P<field>\w*)\)")
_RESULT_TYPE = {"COUNT": "int", "COUNT_DISTINCT": "int", "SUM": "double", "AVG": "double"}

FieldTypes = Mapping[str, tuple[str, str]]  # lower-case name -> (API name, field type)


@dataclass(frozen=True)
class _Aggregate:
    function: str
    field: str | None  # API name; None for COUNT()
    key: str  # canonical "FUNCTION(ApiName)": the column of an internal group row

    def compute(self, records: list[Record]) -> Any:
        if self.field is None:
            return len(records)
        values = [value for record in records if (value := record.get(self.field)) is not None]
        if self.function == "COUNT":
            return len(values)
        if self.function == "COUNT_DISTINCT":
            return len(set(values))
        if not values:
            return None
        if self.function == "SUM":
            return float(sum(values))
        if self.function == "AVG":
            return sum(values) / len(values)
        return min(values) if self.function == "MIN" else max(values)


@dataclass(frozen=True)
class CompiledAggregate:
    """An aggregate query bound to one object's fields; `run` answers AggregateResult records."""

    sobject: str
    group_by: tuple[str, ...]  # API names
    aggregates: tuple[_Aggregate, ...]  # every aggregate SELECT, HAVING and ORDER BY use
    columns: tuple[tuple[str, str], ...]  # (output name, internal group-row key), in SELECT order
    predicate: Predicate | None
    having: Predicate | None
    order_by: tuple[tuple[str, KeyFunction, bool, bool], ...]
    limit: int | None
    count_only: bool = False

    def run(self, records: Iterable[Record]) -> list[Record]:
        matched = list(records) if self.predicate is None else [r for r in records if self.predicate(r)]
        rows = [self._group_row(key, members) for key, members in self._groups(matched)]
        if self.having is not None:
            rows = [row for row in rows if self.having(row)]
        for key_name, key, descending, nulls_first in reversed(self.order_by):
            rows = _sorted_rows(rows, key_name, key, descending, nulls_first)
        rows = rows if self.limit is None else rows[: self.limit]
        if len(rows) > MAX_AGGREGATE_ROWS:
            raise malformed(
                "Aggregate query does not support queryMore(), use LIMIT to restrict the results to a "
                "single batch"
            )
        return [{name: row[key] for name, key in self.columns} for row in rows]

    def _groups(self, records: list[Record]) -> Iterator[tuple[tuple[Any, ...], list[Record]]]:
        if not self.group_by:
            yield (), records  # no GROUP BY: one row, even over no records
            return
        groups: dict[tuple[Any, ...], list[Record]] = {}
        for record in records:
            groups.setdefault(tuple(record.get(f) for f in self.group_by), []).append(record)
        yield from groups.items()

    def _group_row(self, key: tuple[Any, ...], members: list[Record]) -> Record:
        row: Record = dict(zip(self.group_by, key, strict=True))
        row.update({aggregate.key: aggregate.compute(members) for aggregate in self.aggregates})
        return row


def _sorted_rows(
    rows: list[Record], name: str, key: KeyFunction, descending: bool, nulls_first: bool
) -> list[Record]:
    values = [r for r in rows if r.get(name) is not None]
    nulls = [r for r in rows if r.get(name) is None]
    values.sort(key=lambda r: key(r[name]), reverse=descending)
    return nulls + values if nulls_first else values + nulls


class _GroupRowFields(Mapping[str, tuple[str, str]]):
    """The names HAVING and ORDER BY may use: grouped fields and aggregate expressions (any case)."""

    def __init__(self, binder: _Binder) -> None:
        self.binder = binder

    def __getitem__(self, name: str) -> tuple[str, str]:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        if _AGGREGATE_REF.fullmatch(name):
            aggregate, result_type = self.binder.aggregate(name)
            return aggregate.key, result_type
        api_name, field_type = self.binder.field(name)
        if api_name not in self.binder.group_by:
            raise malformed(f"Ordered or filtered field must be grouped or aggregated: {api_name}")
        return api_name, field_type

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Binder:
    """Resolves names against the object's fields and collects the aggregates the query needs."""

    def __init__(self, sobject: str, field_types: FieldTypes, resolve: Any) -> None:
        self.sobject = sobject
        self.field_types = field_types
        self.resolve = resolve  # evaluate._resolve: raises INVALID_FIELD
        self.aggregates: dict[str, _Aggregate] = {}
        self.group_by: tuple[str, ...] = ()

    def field(self, name: str) -> tuple[str, str]:
        return self.resolve(self.field_types, self.sobject, name)

    def aggregate(self, expression: str) -> tuple[_Aggregate, str]:
        found = _AGGREGATE_REF.fullmatch(expression)
        assert found is not None
        function, written = found.group("function").upper(), found.group("field")
        api_name, field_type = self.field(written) if written else (None, "int")
        if function in ("SUM", "AVG") and field_type not in NUMBER_TYPES:
            raise malformed(f"field {api_name} does not support aggregate operator {function}")
        if function in ("MIN", "MAX") and field_type == "boolean":
            raise malformed(f"field {api_name} does not support aggregate operator {function}")
        key = f"{function}({api_name or ''})"
        aggregate = self.aggregates.setdefault(key, _Aggregate(function, api_name, key))
        return aggregate, _RESULT_TYPE.get(function, field_type)


def compile_aggregate(
    query: SoqlQuery, sobject: str, field_types: FieldTypes, resolve: Any, compile_condition: Any
) -> CompiledAggregate:
    """Bind an aggregate query; `resolve` and `compile_condition` are the plain compiler's."""
    binder = _Binder(sobject, field_types, resolve)
    binder.group_by = tuple(_groupable(binder, name) for name in query.group_by)
    columns = _columns(binder, query.items)
    group_row_fields = _GroupRowFields(binder)
    having = None if query.having is None else compile_condition(query.having, sobject, group_row_fields)
    order_by = tuple(
        (api_name, key_for_type(result_type), key.descending, key.nulls_first)
        for key in query.order_by
        for api_name, result_type in [group_row_fields.get(key.field)]
    )
    predicate = None if query.where is None else compile_condition(query.where, sobject, field_types)
    aggregates = tuple(binder.aggregates.values())
    return CompiledAggregate(
        sobject, binder.group_by, aggregates, columns, predicate, having, order_by, query.limit
    )


def _groupable(binder: _Binder, name: str) -> str:
    api_name, field_type = binder.field(name)
    if field_type in UNGROUPABLE_TYPES:
        raise malformed(f"field '{api_name}' can not be grouped in a query call")
    return api_name


def _columns(binder: _Binder, items: tuple[SelectItem, ...]) -> tuple[tuple[str, str], ...]:
    columns: list[tuple[str, str]] = []
    unnamed = 0
    for item in items:
        if item.function is None:
            api_name, _ = binder.field(item.expression)
            if api_name not in binder.group_by:
                raise malformed(f"Field must be grouped or aggregated: {api_name}")
            columns.append((item.alias or api_name, api_name))
            continue
        aggregate, _ = binder.aggregate(item.expression)
        if item.alias is None:
            name, unnamed = f"expr{unnamed}", unnamed + 1
        else:
            name = item.alias
        columns.append((name, aggregate.key))
    names = [name.lower() for name, _ in columns]
    if len(set(names)) != len(names):
        raise malformed("duplicate alias or field in the SELECT list")
    return tuple(columns)
