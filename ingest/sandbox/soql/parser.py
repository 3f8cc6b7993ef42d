"""The SOQL syntax tree and its recursive-descent parser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.sandbox.soql.lexer import Token, tokenize
from ingest.sandbox.soql.values import SoqlError, malformed

# ---- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    kind: str  # string | number | boolean | null | date | datetime
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
class SoqlQuery:
    fields: tuple[str, ...]  # as written; empty for COUNT()
    sobject: str
    where: Condition | None = None
    order_by: tuple[OrderKey, ...] = ()
    limit: int | None = None
    count_only: bool = False


# ---- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0

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

    # SELECT ... FROM ... [WHERE] [ORDER BY] [LIMIT]
    def query(self) -> SoqlQuery:
        self.expect_keyword("SELECT")
        fields, count_only = self.select_list()
        self.expect_keyword("FROM")
        sobject = self.expect("ident").text
        if "." in sobject:
            raise self.unexpected()
        where = self.where_clause()
        order_by = self.order_by_clause()
        limit = self.limit_clause()
        if self.current.kind != "eof":
            raise self.unexpected()
        return SoqlQuery(tuple(fields), sobject, where, tuple(order_by), limit, count_only)

    def select_list(self) -> tuple[list[str], bool]:
        if self.current.is_keyword("COUNT") and self.tokens[self.position + 1].kind == "(":
            self.position += 2
            if self.current.kind != ")":
                raise malformed("only COUNT() is supported by the sandbox, not COUNT(field)")
            self.advance()
            return [], True
        fields = [self.field_name()]
        while self.current.kind == ",":
            self.advance()
            fields.append(self.field_name())
        return fields, False

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
        field = self.field_name()
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
        if token.kind in ("string", "number", "date", "datetime"):
            self.advance()
            return Literal(token.kind, token.value)
        if token.is_keyword("TRUE", "FALSE"):
            self.advance()
            return Literal("boolean", token.text.upper() == "TRUE")
        if token.is_keyword("NULL"):
            self.advance()
            return Literal("null", None)
        raise malformed(
            f"unsupported value (date literals like TODAY and bind variables are not supported): "
            f"'{token.text}'"
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
        field = self.field_name()
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


def parse(text: str) -> SoqlQuery:
    """Parse a SOQL statement of the supported subset, or raise SoqlError."""
    return _Parser(text).query()
