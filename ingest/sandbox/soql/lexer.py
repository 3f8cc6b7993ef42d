"""The SOQL tokenizer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest.sandbox.soql import dates
from ingest.sandbox.soql.values import datetime_key, malformed

# ---- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | number | date | datetime | date_literal | op | ( | ) | , | eof
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
    if found := dates.PATTERN.match(text, position):
        name = (found.group("name") or found.group("fixed")).upper()
        n = int(found.group("n")) if found.group("n") else None
        return Token("date_literal", found.group(), (name, n)), found.end()
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
