"""Salesforce record shapes: the object schema and describe metadata, ids, timestamps, system fields."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ingest.sandbox import soql
from ingest.sandbox.core.store import DocumentStore, Record
from ingest.sandbox.salesforce.errors import RecordError

API_VERSIONS = ("57.0", "58.0", "59.0", "60.0", "61.0", "62.0")
ORG_ID = "00D000000000001AAA"
INTEGRATION_USER_ID = "005000000000000AAA"

# Key prefixes of the objects the sandbox knows (sandbox.md).
SALESFORCE_KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
}


def salesforce_timestamp(moment: datetime) -> str:
    """Salesforce's wire format: 2026-01-05T09:00:00.000+0000."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def new_salesforce_id(store: DocumentStore, sobject: str) -> str:
    """An 18-character id: the object's key prefix, the store's shared counter, a fixed suffix."""
    prefix = SALESFORCE_KEY_PREFIXES.get(sobject, "a00")
    return f"{prefix}{store.next_number():012d}AAA"


# ---- object schema -----------------------------------------------------------------------------

_AUDIT_FIELDS = {
    "Id": "id",
    "IsDeleted": "boolean",
    "CreatedDate": "datetime",
    "CreatedById": "reference",
    "LastModifiedDate": "datetime",
    "LastModifiedById": "reference",
    "SystemModstamp": "datetime",
}
_ACTIVITY_FIELDS = {
    "AccountId": "reference",
    "WhatId": "reference",
    "WhoId": "reference",
    "OwnerId": "reference",
    "Type": "picklist",
    "Subject": "string",
    "ActivityDate": "date",
    "Description": "textarea",
}
STANDARD_FIELDS: dict[str, dict[str, str]] = {
    "User": {
        # Users are deactivated, never deleted: no IsDeleted.
        **{k: v for k, v in _AUDIT_FIELDS.items() if k != "IsDeleted"},
        "Name": "string",
        "FirstName": "string",
        "LastName": "string",
        "Email": "email",
        "Username": "string",
        "IsActive": "boolean",
        "Title": "string",
    },
    "Account": {
        **_AUDIT_FIELDS,
        "Name": "string",
        "Type": "picklist",
        "OwnerId": "reference",
        "ParentId": "reference",
        "Industry": "picklist",
        "Phone": "phone",
        "BillingCity": "string",
        "BillingState": "string",
    },
    "Contact": {
        **_AUDIT_FIELDS,
        "AccountId": "reference",
        "OwnerId": "reference",
        "Name": "string",
        "FirstName": "string",
        "LastName": "string",
        "Title": "string",
        "Email": "email",
        "Phone": "phone",
    },
    "Event": {
        **_AUDIT_FIELDS,
        **_ACTIVITY_FIELDS,
        "StartDateTime": "datetime",
        "EndDateTime": "datetime",
        "ActivityDateTime": "datetime",
        "DurationInMinutes": "int",
        "Location": "string",
    },
    "Task": {
        **_AUDIT_FIELDS,
        **_ACTIVITY_FIELDS,
        "Status": "picklist",
        "Priority": "picklist",
        "IsClosed": "boolean",
        "CompletedDateTime": "datetime",
    },
    "Opportunity": {
        **_AUDIT_FIELDS,
        "AccountId": "reference",
        "OwnerId": "reference",
        "Name": "string",
        "StageName": "picklist",
        "CloseDate": "date",
        "Amount": "currency",
        "IsClosed": "boolean",
        "IsWon": "boolean",
    },
}
# Custom fields the product knows; they exist in an org only when its records (or declared custom
# fields) carry them, but their type is known even when every value is null.
KNOWN_CUSTOM_FIELD_TYPES = {"Visit_Cadence_Days__c": "double", "Cadence_Task_Key__c": "string"}
SYSTEM_FIELDS = frozenset(_AUDIT_FIELDS)
DERIVED_FIELDS = {"Task": frozenset({"IsClosed"})}  # computed from other fields, never written
REFERENCE_TARGETS = {
    "OwnerId": ["User"],
    "CreatedById": ["User"],
    "LastModifiedById": ["User"],
    "AccountId": ["Account"],
    "ParentId": ["Account"],
    "WhatId": ["Account", "Opportunity"],
    "WhoId": ["Contact"],
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _infer_type(values: Iterable[Any]) -> str:
    """A custom field's type from its first non-null value (text when every value is null)."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "double"
        if isinstance(value, str) and _ISO_DATETIME.match(value):
            return "datetime"
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            return "date"
        return "string"
    return "string"


def label(api_name: str) -> str:
    """'Visit_Cadence_Days__c' -> 'Visit Cadence Days'; 'SystemModstamp' -> 'System Modstamp'."""
    base = api_name.removesuffix("__c").replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base)


class SalesforceSchema:
    """Which sobjects and fields exist: the standard lists plus every key the org's records carry.

    Scanning a million records is done once per object, lazily, and kept current by writes.
    """

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self._fields: dict[str, dict[str, str]] = {}  # sobject -> API name -> type
        self._lookups: dict[str, dict[str, tuple[str, str]]] = {}  # sobject -> lower name -> (name, type)
        self._lock = threading.Lock()

    def resolve_object(self, name: str | None) -> str | None:
        """The API name of an sobject (SOQL and URLs are case-insensitive), or None."""
        if not name:
            return None
        known = itertools.chain(STANDARD_FIELDS, self.store.salesforce)
        return next((sobject for sobject in known if sobject.lower() == name.lower()), None)

    def fields(self, sobject: str) -> dict[str, str]:
        with self._lock:
            if sobject not in self._fields:
                self._fields[sobject] = self._scan(sobject)
                self._lookups.pop(sobject, None)
            return self._fields[sobject]

    def lookup(self, sobject: str) -> dict[str, tuple[str, str]]:
        fields = self.fields(sobject)
        with self._lock:
            if sobject not in self._lookups:
                self._lookups[sobject] = {name.lower(): (name, kind) for name, kind in fields.items()}
            return self._lookups[sobject]

    def note_written(self, sobject: str, record: Record) -> None:
        """A write may add an object to the org (its first record); fields are validated beforehand."""
        with self._lock:
            if sobject not in self._fields:
                return
            for name, value in record.items():
                if name not in self._fields[sobject]:
                    self._fields[sobject][name] = KNOWN_CUSTOM_FIELD_TYPES.get(name) or _infer_type([value])
                    self._lookups.pop(sobject, None)

    def _scan(self, sobject: str) -> dict[str, str]:
        fields = dict(STANDARD_FIELDS.get(sobject, {"Id": "id"}))
        with self.store.lock:
            records = list(self.store.salesforce.get(sobject, {}).values())
        seen: set[str] = set()
        for record in records:
            if not record.keys() <= seen:  # most records share one key set: cheap subset test
                seen |= record.keys()
        for name, declared_type in self._declared_custom_fields(sobject).items():
            fields.setdefault(name, declared_type)
        for name in sorted(seen - fields.keys()):
            fields[name] = KNOWN_CUSTOM_FIELD_TYPES.get(name) or _infer_type(r.get(name) for r in records)
        return fields

    def _declared_custom_fields(self, sobject: str) -> dict[str, str]:
        """Optional org-file key `salesforce.custom_fields`: {"Task": ["Cadence_Task_Key__c"]} or
        {"Task": {"Cadence_Task_Key__c": "string"}} -- for a field no record carries yet."""
        declared = (self.store.extras.get("salesforce") or {}).get("custom_fields", {}).get(sobject) or {}
        if isinstance(declared, list):
            return {name: KNOWN_CUSTOM_FIELD_TYPES.get(name, "string") for name in declared}
        return dict(declared)

    def describe_field(self, sobject: str, name: str, field_type: str) -> dict[str, Any]:
        writable = name not in SYSTEM_FIELDS and name not in DERIVED_FIELDS.get(sobject, ())
        return {
            "name": name,
            "type": field_type,
            "label": label(name),
            "nillable": name not in SYSTEM_FIELDS and field_type != "boolean",
            "custom": name.endswith("__c"),
            "externalId": False,
            "updateable": writable,
            "createable": writable,
            "length": 255 if field_type in soql.TEXT_TYPES or field_type in soql.ID_TYPES else 0,
            "referenceTo": REFERENCE_TARGETS.get(name, []) if field_type == "reference" else [],
            "picklistValues": [],
        }


def normalized_value(name: str, field_type: str, value: Any) -> Any:
    """A written value checked against the field type; datetimes stored in Salesforce's format."""
    if value is None:
        return None
    try:
        if field_type == "datetime" and isinstance(value, str):
            return soql.datetime_key(value)
        if field_type == "date" and isinstance(value, str) and _ISO_DATE.fullmatch(value[:10]):
            return value[:10]
        if field_type == "boolean" and isinstance(value, bool):
            return value
        if field_type in soql.NUMBER_TYPES and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if field_type not in {"datetime", "date", "boolean"} | soql.NUMBER_TYPES and isinstance(value, str):
            return value
    except ValueError:
        pass
    message = f"{name}: value not of required type {field_type}: {value!r}"
    raise RecordError("INVALID_TYPE_ON_FIELD_IN_RECORD", message, [name])


def modstamps(stamp: str) -> dict[str, str]:
    return {"LastModifiedDate": stamp, "SystemModstamp": stamp}


def with_derived_fields(sobject: str, record: Record) -> Record:
    if sobject == "Task":
        record["IsClosed"] = record.get("Status") == "Completed"
    return record
