"""The SOQL subset the sandbox answers: a tokenizer, a recursive-descent parser and a compiler to
plain Python predicates and sort keys (no eval).

Supported: ``SELECT f1, f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n]``; conditions with AND / OR / NOT and parentheses; = != <> < <= > >= IN NOT IN LIKE; string,
number, boolean, null, date and datetime literals. Everything else is refused with MALFORMED_QUERY and
an unknown field with INVALID_FIELD: the sandbox never answers a query it does not fully understand.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]
Predicate = Callable[[Record], bool]
KeyFunction = Callable[[Any], Any]

TEXT_TYPES = frozenset({"string", "picklist", "textarea", "email", "phone", "url"})
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"double", "int", "currency", "percent"})


class SoqlError(Exception):
    """A query the sandbox refuses; `code` is Salesforce's errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def malformed(message: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", message)


# ---- values ------------------------------------------------------------------------------------


def datetime_key(value: Any) -> str:
    """A string that orders datetimes as instants: Salesforce's UTC wire format.

    Records already in that format (the common case, millions of them) are returned as they are, so
    comparing and sorting stays a string operation; anything else is parsed once and normalised.
    """
    text = str(value)
    if len(text) == 28 and text.endswith("+0000") and text[10] == "T":
        return text
    moment = datetime.fromisoformat(text).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _casefold(value: Any) -> str:
    return str(value).casefold()


def _number(value: Any) -> float:
    return float(value)


def _date(value: Any) -> str:
    return str(value)[:10]


def _identity(value: Any) -> Any:
    return value


def key_for_type(field_type: str) -> KeyFunction:
    """How a record value of this field type is compared and sorted (text is case-insensitive, as in SOQL)."""
    if field_type in TEXT_TYPES:
        return _casefold
    if field_type in NUMBER_TYPES:
        return _number
    if field_type == "datetime":
        return datetime_key
    if field_type == "date":
        return _date
    if field_type == "boolean":
        return bool
    return _identity  # ids compare exactly


# ---- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | number | date | datetime | op | ( | ) | , | eof
    text: str
    value: Any = None

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:])")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPERATOR = re.compile(r"!=|<>|<=|>=|=|<|>")
_SPACE = re.compile(r"\s+")
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
            continue
        token, position = _next_token(text, position)
        tokens.append(token)
    tokens.append(Token("eof", "end of query"))
    return tokens


def _next_token(text: str, position: int) -> tuple[Token, int]:
    char = text[position]
    if char in "(),":
        return Token(char, char), position + 1
    if char == "'":
        return _string_token(text, position)
    if found := _DATETIME.match(text, position):
        moment = datetime.fromisoformat(found.group().replace("Z", "+00:00"))
        return Token("datetime", found.group(), datetime_key(moment.isoformat())), found.end()
    if found := _DATE.match(text, position):
        return Token("date", found.group(), found.group()), found.end()
    if found := _NUMBER.match(text, position):
        return Token("number", found.group(), float(found.group())), found.end()
    if found := _IDENT.match(text, position):
        return Token("ident", found.group()), found.end()
    if found := _OPERATOR.match(text, position):
        return Token("op", found.group()), found.end()
    raise malformed(f"unexpected character {char!r} at position {position}")


def _string_token(text: str, start: int) -> tuple[Token, int]:
    """A quoted string; LIKE's escapes (\\% and \\_) are kept so the LIKE compiler can tell them apart."""
    chars: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "'":
            return Token("string", text[start : position + 1], "".join(chars)), position + 1
        if char == "\\":
            escaped = text[position + 1 : position + 2]
            if escaped in ("%", "_"):
                chars.append("\\" + escaped)
            elif escaped in _STRING_ESCAPES:
                chars.append(_STRING_ESCAPES[escaped])
            else:
                raise malformed(f"invalid escape sequence \\{escaped} in string literal")
            position += 2
            continue
        chars.append(char)
        position += 1
    raise malformed("unterminated string literal")


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

    def run(self, records: Iterable[Record]) -> list[Record]:
        """Matching records, sorted and limited. `records` must already exclude what the caller hides."""
        matched = list(records) if self.predicate is None else [r for r in records if self.predicate(r)]
        for field, key, descending, nulls_first in reversed(self.order_by):
            matched = _sorted_by(matched, field, key, descending, nulls_first)  # stable: last key first
        return matched if self.limit is None else matched[: self.limit]


def _sorted_by(
    records: list[Record], field: str, key: KeyFunction, descending: bool, nulls_first: bool
) -> list[Record]:
    values = [r for r in records if r.get(field) is not None]
    nulls = [r for r in records if r.get(field) is None] if len(values) < len(records) else []
    values.sort(key=lambda r: key(r[field]), reverse=descending)  # stable, also when reversed
    return nulls + values if nulls_first else values + nulls


def compile_query(query: SoqlQuery, sobject: str, field_types: FieldTypes) -> CompiledQuery:
    """Bind `query` to an object's fields (lower-case name -> (API name, type)); raises INVALID_FIELD."""
    fields = tuple(_resolve(field_types, sobject, name)[0] for name in query.fields)
    if len(set(fields)) != len(fields):
        raise malformed("duplicate field selected")
    order_by = tuple(
        (api_name, key_for_type(field_type), key.descending, key.nulls_first)
        for key in query.order_by
        for api_name, field_type in [_resolve(field_types, sobject, key.field)]
    )
    predicate = None if query.where is None else _compile_condition(query.where, sobject, field_types)
    return CompiledQuery(sobject, fields, predicate, order_by, query.limit, query.count_only)


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


def _compile_condition(condition: Condition, sobject: str, field_types: FieldTypes) -> Predicate:
    if isinstance(condition, Junction):
        parts = [_compile_condition(part, sobject, field_types) for part in condition.parts]
        if condition.op == "AND":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    if isinstance(condition, Negation):
        inner = _compile_condition(condition.part, sobject, field_types)
        return lambda record: not inner(record)
    field, field_type = _resolve(field_types, sobject, condition.field)
    if isinstance(condition, Membership):
        return _membership(field, field_type, condition)
    return _comparison(field, field_type, condition)


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
