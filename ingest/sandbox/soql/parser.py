"""The SOQL syntax tree and its recursive-descent parser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.sandbox.soql.lexer import Token, tokenize
from ingest.sandbox.soql.values import SoqlError, malformed

# ---- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    kind: str  # string | number | boolean | null | date | datetime | date_literal ((name, n))
    value: Any


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str  # = != < <= > >= LIKE
    literal: Literal


@dataclass(frozen=True)
class Membership:
    field: str
    literals: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class Junction:
    op: str  # AND | OR
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    part: Condition


Condition = Comparison | Membership | Junction | Negation


@dataclass(frozen=True)
class OrderKey:
    field: str
    descending: bool = False
    nulls_first: bool = True


@dataclass(frozen=True)
class SelectItem:
    """One SELECT element of an aggregate query: a field (`function` None) or `FUNCTION(field)`."""

    expression: str  # as written: "Type", "COUNT(Id)", "COUNT()"
    function: str | None = None  # upper case: COUNT, COUNT_DISTINCT, MIN, MAX, SUM, AVG
    field: str | None = None  # None for COUNT()
    alias: str | None = None


@dataclass(frozen=True)
class SoqlQuery:
    fields: tuple[str, ...]  # as written; empty for COUNT() and for aggregate queries
    sobject: str
    where: Condition | None = None
    order_by: tuple[OrderKey, ...] = ()
    limit: int | None = None
    count_only: bool = False
    # Aggregate queries (GROUP BY and/or aggregate functions): `items` replaces `fields`.
    items: tuple[SelectItem, ...] = ()
    group_by: tuple[str, ...] = ()
    having: Condition | None = None
    offset: int = 0

    @property
    def is_aggregate(self) -> bool:
        return bool(self.items)


# ---- parser ------------------------------------------------------------------------------------


# SOQL's aggregate functions ("Aggregate Functions", SOQL and SOSL Reference):
# https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_agg_functions.htm
AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "MIN", "MAX", "SUM", "AVG"})
_CLAUSE_WORDS = frozenset({"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET"})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0
        self.aggregates_allowed = False  # in HAVING and an aggregate query's ORDER BY

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.current
        self.position += 1
        return token

    def expect_keyword(self, *words: str) -> Token:
        if not self.current.is_keyword(*words):
            raise self.unexpected()
        return self.advance()

    def expect(self, kind: str) -> Token:
        if self.current.kind != kind:
            raise self.unexpected()
        return self.advance()

    def unexpected(self) -> SoqlError:
        return malformed(f"unexpected token: '{self.current.text}'")

    def field_name(self) -> str:
        token = self.expect("ident")
        if "." in token.text:
            raise malformed(f"relationship fields are not supported by the sandbox: '{token.text}'")
        if self.current.kind == "(":
            raise malformed(f"functions are not supported by the sandbox: '{token.text}(...)'")
        return token.text

    def aggregate_expression(self) -> str:
        """A field, or (in HAVING / an aggregate ORDER BY) `FUNCTION(field)`, as written."""
        if self.aggregates_allowed and self.tokens[self.position + 1].kind == "(":
            item = self.select_item(alias_allowed=False)
            return item.expression
        return self.field_name()

    # SELECT ... FROM ... [WHERE] [GROUP BY [HAVING]] [ORDER BY] [LIMIT]
    def query(self) -> SoqlQuery:
        self.expect_keyword("SELECT")
        items = self.select_list()
        self.expect_keyword("FROM")
        sobject = self.expect("ident").text
        if "." in sobject:
            raise self.unexpected()
        where = self.where_clause()
        group_by = self.group_by_clause()
        aggregate = bool(group_by) or any(item.function for item in items)
        count_only = len(items) == 1 and items[0].expression.upper() == "COUNT()" and items[0].alias is None
        self.aggregates_allowed = aggregate and not count_only
        having = self.having_clause(group_by)
        if count_only and (group_by or self.current.is_keyword("ORDER")):
            # "You can't use COUNT() with an ORDER BY clause ... with a GROUP BY clause for API version
            # 19.0 and later. Use COUNT(fieldName) instead." (COUNT() and COUNT(fieldName), SOQL reference)
            raise malformed("COUNT() cannot be used with GROUP BY or ORDER BY; use COUNT(fieldName) instead")
        order_by = self.order_by_clause()
        limit = self.limit_clause()
        offset = self.offset_clause()
        if self.current.kind != "eof":
            raise self.unexpected()
        if count_only:
            return SoqlQuery((), sobject, where, (), limit, count_only=True, offset=offset)
        if aggregate:
            if offset:
                raise malformed("OFFSET in aggregate queries is not supported by the sandbox")
            return SoqlQuery(
                (), sobject, where, tuple(order_by), limit, False, tuple(items), group_by, having
            )
        if any(item.alias for item in items):
            raise malformed("Only aggregate expressions use field aliasing")
        fields = tuple(item.expression for item in items)
        return SoqlQuery(fields, sobject, where, tuple(order_by), limit, offset=offset)

    def select_list(self) -> list[SelectItem]:
        items = [self.select_item()]
        while self.current.kind == ",":
            self.advance()
            items.append(self.select_item())
        if any(item.expression.upper() == "COUNT()" for item in items) and len(items) > 1:
            raise malformed("COUNT() must be the only element in the SELECT list")  # SOQL reference, COUNT()
        return items

    def select_item(self, alias_allowed: bool = True) -> SelectItem:
        token = self.current
        if token.kind == "ident" and self.tokens[self.position + 1].kind == "(":
            function = token.text.upper()
            if function not in AGGREGATE_FUNCTIONS:
                raise malformed(f"functions are not supported by the sandbox: '{token.text}(...)'")
            self.position += 2
            field = None if self.current.kind == ")" and function == "COUNT" else self.field_name()
            self.expect(")")
            item = SelectItem(f"{token.text}({field or ''})", function, field)
        else:
            name = self.field_name()
            item = SelectItem(name, None, name)
        if alias_allowed and self.current.kind == "ident" and self.current.text.upper() not in _CLAUSE_WORDS:
            item = SelectItem(item.expression, item.function, item.field, self.advance().text)
        return item

    def group_by_clause(self) -> tuple[str, ...]:
        if not self.current.is_keyword("GROUP"):
            return ()
        self.advance()
        self.expect_keyword("BY")
        if self.current.is_keyword("ROLLUP", "CUBE"):
            raise malformed(f"GROUP BY {self.current.text.upper()} is not supported by the sandbox")
        fields = [self.field_name()]
        while self.current.kind == ",":
            self.advance()
            fields.append(self.field_name())
        return tuple(fields)

    def having_clause(self, group_by: tuple[str, ...]) -> Condition | None:
        if not self.current.is_keyword("HAVING"):
            return None
        if not group_by:
            raise malformed("HAVING requires a GROUP BY clause")
        self.advance()
        return self.condition()

    def where_clause(self) -> Condition | None:
        if not self.current.is_keyword("WHERE"):
            return None
        self.advance()
        return self.condition()

    def condition(self) -> Condition:
        """Operands joined by one kind of junction; SOQL wants parentheses to mix AND and OR."""
        parts = [self.operand()]
        junction: str | None = None
        while self.current.is_keyword("AND", "OR"):
            word = self.advance().text.upper()
            if junction is not None and word != junction:
                raise malformed("mixing AND and OR requires parentheses")
            junction = word
            parts.append(self.operand())
        return parts[0] if junction is None else Junction(junction, tuple(parts))

    def operand(self) -> Condition:
        if self.current.is_keyword("NOT"):
            self.advance()
            return Negation(self.operand())
        if self.current.kind == "(":
            self.advance()
            inner = self.condition()
            self.expect(")")
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        field = self.aggregate_expression()
        token = self.current
        if token.kind == "op":
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Comparison(field, op, self.literal())
        if token.is_keyword("LIKE"):
            self.advance()
            literal = self.literal()
            if literal.kind != "string":
                raise malformed("LIKE needs a string pattern")
            return Comparison(field, "LIKE", literal)
        negated = token.is_keyword("NOT")
        if negated:
            self.advance()
        self.expect_keyword("IN")
        return Membership(field, self.literal_list(), negated)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        if self.current.is_keyword("SELECT"):
            raise malformed("semi-join subqueries are not supported by the sandbox")
        literals = [self.literal()]
        while self.current.kind == ",":
            self.advance()
            literals.append(self.literal())
        self.expect(")")
        return tuple(literals)

    def literal(self) -> Literal:
        token = self.current
        if token.kind in ("string", "number", "date", "datetime", "date_literal"):
            self.advance()
            return Literal(token.kind, token.value)
        if token.is_keyword("TRUE", "FALSE"):
            self.advance()
            return Literal("boolean", token.text.upper() == "TRUE")
        if token.is_keyword("NULL"):
            self.advance()
            return Literal("null", None)
        raise malformed(
            f"unsupported value (bind variables and this date literal are not supported): '{token.text}'"
        )

    def order_by_clause(self) -> list[OrderKey]:
        if not self.current.is_keyword("ORDER"):
            return []
        self.advance()
        self.expect_keyword("BY")
        keys = [self.order_key()]
        while self.current.kind == ",":
            self.advance()
            keys.append(self.order_key())
        return keys

    def order_key(self) -> OrderKey:
        field = self.aggregate_expression()
        descending = False
        if self.current.is_keyword("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_first = not descending  # Salesforce's default: nulls sort as the smallest value
        if self.current.is_keyword("NULLS"):
            self.advance()
            nulls_first = self.expect_keyword("FIRST", "LAST").text.upper() == "FIRST"
        return OrderKey(field, descending, nulls_first)

    def limit_clause(self) -> int | None:
        if not self.current.is_keyword("LIMIT"):
            return None
        self.advance()
        token = self.expect("number")
        if token.value != int(token.value) or token.value < 0:
            raise malformed(f"LIMIT must be a non-negative integer, not {token.text}")
        return int(token.value)

    def offset_clause(self) -> int:
        """OFFSET n: "The maximum offset is 2,000 rows ... NUMBER_OUTSIDE_VALID_RANGE" (SOQL Reference,
        OFFSET: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_offset.htm)."""
        if not self.current.is_keyword("OFFSET"):
            return 0
        self.advance()
        token = self.expect("number")
        if token.value != int(token.value) or token.value < 0:
            raise malformed(f"OFFSET must be a non-negative integer, not {token.text}")
        if token.value > MAX_OFFSET:
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        return int(token.value)


MAX_OFFSET = 2000


def parse(text: str) -> SoqlQuery:
    """Parse a SOQL statement of the supported subset, or raise SoqlError."""
    return _Parser(text).query()
