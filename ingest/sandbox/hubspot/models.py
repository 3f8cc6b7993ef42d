"""HubSpot record shapes: object types, property schema, associations, timestamps, ids, wire envelopes."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ingest.sandbox.core.store import DocumentStore, Record
from ingest.sandbox.hubspot.errors import InputError

OBJECT_TYPES = ("companies", "contacts", "meetings", "tasks", "deals")
ENGAGEMENT_TYPES = frozenset({"meetings", "tasks"})  # their creation stamp is hs_createdate, not createdate
FALLBACK_TIMESTAMP = "1970-01-01T00:00:00.000Z"  # for hand-written records that lack createdAt/updatedAt


# HubSpot-defined (unlabelled) association type ids, per direction.
ASSOCIATION_TYPE_IDS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("meetings", "companies"): 188,
    ("companies", "meetings"): 187,
    ("tasks", "companies"): 192,
    ("companies", "tasks"): 191,
}
ASSOCIATION_TARGETS = {
    (source, type_id): target for (source, target), type_id in ASSOCIATION_TYPE_IDS.items()
}

# Property schema: name -> (type, fieldType), as GET /crm/v3/properties/{type} reports them.
PropertyDef = tuple[str, str]
_DATETIME: PropertyDef = ("datetime", "date")
_NUMBER: PropertyDef = ("number", "number")
_TEXT: PropertyDef = ("string", "text")
_TEXTAREA: PropertyDef = ("string", "textarea")
_SELECT: PropertyDef = ("enumeration", "select")

COMMON_PROPERTIES = {"hs_object_id": _NUMBER, "hs_lastmodifieddate": _DATETIME, "hubspot_owner_id": _SELECT}
STANDARD_PROPERTIES: dict[str, dict[str, PropertyDef]] = {
    "companies": {
        "name": _TEXT, "domain": _TEXT, "lifecyclestage": _SELECT, "createdate": _DATETIME, "phone": _TEXT,
        "city": _TEXT, "state": _TEXT, "industry": _SELECT, "hs_parent_company_id": _NUMBER,
    },
    "contacts": {
        "firstname": _TEXT, "lastname": _TEXT, "email": _TEXT, "jobtitle": _TEXT, "phone": _TEXT,
        "lifecyclestage": _SELECT, "createdate": _DATETIME, "lastmodifieddate": _DATETIME,
    },
    "meetings": {
        "hs_meeting_title": _TEXT, "hs_meeting_body": _TEXTAREA, "hs_meeting_start_time": _DATETIME,
        "hs_meeting_end_time": _DATETIME, "hs_meeting_outcome": _SELECT, "hs_activity_type": _SELECT,
        "hs_timestamp": _DATETIME, "hs_createdate": _DATETIME,
    },
    "tasks": {
        "hs_task_subject": _TEXT, "hs_task_body": _TEXTAREA, "hs_task_status": _SELECT,
        "hs_task_priority": _SELECT, "hs_task_type": _SELECT, "hs_timestamp": _DATETIME,
        "hs_task_completion_date": _DATETIME, "hs_createdate": _DATETIME,
    },
    "deals": {
        "dealname": _TEXT, "dealstage": _SELECT, "pipeline": _SELECT, "amount": _NUMBER,
        "closedate": _DATETIME, "createdate": _DATETIME,
    },
}  # fmt: skip
_KNOWN_DATETIMES = frozenset(
    name for props in STANDARD_PROPERTIES.values() for name, spec in props.items() if spec == _DATETIME
) | {"hs_lastmodifieddate"}
# Types of the optional custom properties the pipeline uses, when the org file names them without a type.
_KNOWN_CUSTOM = {"visit_cadence_days": _NUMBER, "cadence_task_key": _TEXT}

# What HubSpot returns when a read names no properties.
DEFAULT_RETURNED = {
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "meetings": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"),
}  # fmt: skip
# Server-set properties derived from the envelope when a hand-written record lacks them.
_ENVELOPE_FALLBACK = {
    "hs_lastmodifieddate": "updatedAt", "lastmodifieddate": "updatedAt",
    "createdate": "createdAt", "hs_createdate": "createdAt",
}  # fmt: skip


def hubspot_timestamp(moment: datetime) -> str:
    """HubSpot's wire format: ISO-8601 with milliseconds and Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_hubspot_id(store: DocumentStore) -> str:
    """HubSpot ids are numeric strings, from the org's one id counter."""
    return str(store.next_number())


# ---- wire shapes --------------------------------------------------------------------------------


def envelope(record: Record, properties: dict[str, Any]) -> dict[str, Any]:
    wire = {
        "id": record["id"],
        "properties": properties,
        "createdAt": record.get("createdAt") or raw_property(record, "createdate") or FALLBACK_TIMESTAMP,
        "updatedAt": record.get("updatedAt")
        or raw_property(record, "hs_lastmodifieddate")
        or FALLBACK_TIMESTAMP,
        "archived": bool(record.get("archived")),
    }
    if record.get("archivedAt"):
        wire["archivedAt"] = record["archivedAt"]
    return wire


def owner_wire(owner: Record) -> dict[str, Any]:
    owner_id = str(owner["id"])
    defaults = {
        "userId": int(owner_id) if owner_id.isdigit() else None,
        "type": "PERSON",
        "createdAt": FALLBACK_TIMESTAMP,
        "updatedAt": FALLBACK_TIMESTAMP,
        "archived": False,
        "teams": [],
    }
    return {**defaults, **owner, "id": owner_id}


def property_wire(name: str, spec: PropertyDef, group: str, standard: bool) -> dict[str, Any]:
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": spec[0],
        "fieldType": spec[1],
        "groupName": group,
        "description": "",
        "options": [],
        "hidden": False,
        "formField": False,
        "displayOrder": -1,
        "hubspotDefined": standard,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": name == "hs_object_id",
        "modificationMetadata": {
            "archivable": not standard,
            "readOnlyDefinition": standard,
            "readOnlyValue": False,
        },
    }


def custom_property(entry: Any) -> tuple[str, PropertyDef]:
    """A `custom_properties` entry of the org file: a bare name, or {"name", "type", "fieldType"}."""
    if isinstance(entry, str):
        return entry, guessed_type(entry)
    spec_type = entry.get("type", "string")
    return entry["name"], (spec_type, entry.get("fieldType", "date" if spec_type == "datetime" else "text"))


def guessed_type(name: str) -> PropertyDef:
    return _DATETIME if name in _KNOWN_DATETIMES else _KNOWN_CUSTOM.get(name, _TEXT)


def singular(object_type: str) -> str:
    return "company" if object_type == "companies" else object_type.removesuffix("s")


def association_label(source: str, target: str) -> str:
    return f"{singular(source)}_to_{singular(target)}"


def always_returned(object_type: str) -> tuple[str, ...]:
    created = "hs_createdate" if object_type in ENGAGEMENT_TYPES else "createdate"
    return (created, "hs_lastmodifieddate", "hs_object_id")


def raw_property(record: Record, name: str) -> Any:
    if name == "hs_object_id":
        return record["id"]
    value = (record.get("properties") or {}).get(name)
    if value in (None, "") and name in _ENVELOPE_FALLBACK:
        return record.get(_ENVELOPE_FALLBACK[name])
    return value


def wire_id(record_id: str) -> int | str:
    return int(record_id) if record_id.isdigit() else record_id


def wall_clock() -> str:
    return hubspot_timestamp(datetime.now(UTC))


def id_key(record_id: str) -> tuple[int, int | str]:
    """HubSpot ids are numeric strings: order them as numbers ("9" before "10")."""
    return (0, int(record_id)) if record_id.isdigit() else (1, record_id)


def validated_properties(schema: dict[str, PropertyDef], properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise InputError("VALIDATION_ERROR", "`properties` must be an object of property name -> value")
    unknown = sorted(set(properties) - schema.keys())
    if unknown:
        raise InputError(
            "VALIDATION_ERROR",
            f"Property values were not valid: properties {unknown} do not exist",
            code="PROPERTY_DOESNT_EXIST",
            propertyName=unknown,
        )
    return {name: _stored_value(name, schema[name], value) for name, value in properties.items()}


def _stored_value(name: str, spec: PropertyDef, value: Any) -> str | None:
    """HubSpot keeps every value as a string; datetimes (ISO or epoch ms in) are kept as ISO with Z."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if spec[0] == "datetime":
            return hubspot_timestamp(datetime.fromtimestamp(_instant_millis(value) / 1000, UTC))
        if spec[0] == "number":
            _finite_float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError("VALIDATION_ERROR", f"{value!r} is not a valid {spec[0]} for {name}",
                         code=f"INVALID_{spec[0].upper()}", propertyName=[name]) from exc  # fmt: skip
    return str(value)


def _instant_millis(value: Any) -> float:
    """Epoch milliseconds of a datetime value given as epoch ms (number or digits) or ISO-8601."""
    if isinstance(value, bool):
        raise ValueError("not a datetime")
    if isinstance(value, int | float):
        return _finite_float(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return float(text)
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000


def _finite_float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _generic_value(value: Any) -> tuple[int, float | str]:
    """Numbers compare as numbers, anything else case-insensitively as text; never both mixed."""
    try:
        return (0, _finite_float(value))
    except (TypeError, ValueError):
        return (1, str(value).casefold())


def converter(spec: PropertyDef | None) -> Callable[[Any], Any]:
    if spec is not None and spec[0] == "datetime":
        return _instant_millis
    if spec is not None and spec[0] == "number":
        return _finite_float
    return _generic_value
