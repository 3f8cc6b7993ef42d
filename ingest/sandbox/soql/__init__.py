"""The SOQL subset the sandbox answers: a tokenizer, a recursive-descent parser and a compiler to
plain Python predicates and sort keys (no eval).

Supported: ``SELECT f1, f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n] [OFFSET n]``; aggregate queries (``aggregate.py``): ``GROUP BY f1, f2`` with COUNT(), COUNT(f),
COUNT_DISTINCT(f), MIN, MAX, SUM, AVG, aliases (``expr0``... by default) and ``HAVING``;
conditions with AND / OR / NOT and parentheses; = != <> < <= > >= IN NOT IN LIKE; string, number,
boolean, null, date and datetime literals, and date literals (TODAY, LAST_N_DAYS:n, ...; ``dates.py``).
Everything else is refused with MALFORMED_QUERY and
an unknown field with INVALID_FIELD: the sandbox never answers a query it does not fully understand.
"""

from ingest.sandbox.soql.aggregate import CompiledAggregate
from ingest.sandbox.soql.evaluate import CompiledQuery, FieldTypes, compile_query
from ingest.sandbox.soql.parser import SoqlQuery, parse
from ingest.sandbox.soql.values import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    SoqlError,
    datetime_key,
    key_for_type,
    malformed,
)

__all__ = [
    "ID_TYPES",
    "NUMBER_TYPES",
    "TEXT_TYPES",
    "CompiledAggregate",
    "CompiledQuery",
    "FieldTypes",
    "SoqlError",
    "SoqlQuery",
    "compile_query",
    "datetime_key",
    "key_for_type",
    "malformed",
    "parse",
]
