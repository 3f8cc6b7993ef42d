"""SOQL value types and errors: field-type families, comparison keys, `SoqlError`."""

from __future__ import annotations

from collections.abc import Callable
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
