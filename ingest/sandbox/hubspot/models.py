"""HubSpot record shapes: object types, property schema, associations, timestamps, ids, wire envelopes."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ingest.sandbox.core.store import DocumentStore, OrgFileError, Record
from ingest.sandbox.hubspot.errors import InputError
from ingest.sandbox.hubspot.properties import PropertyDef, PropertySpec

# Tickets, products and quotes are standard objects of every portal; the sandbox serves them (usually
# empty) so that clients listing every standard object get answers, not unknown paths.
OBJECT_TYPES = ("companies", "contacts", "meetings", "tasks", "deals", "tickets", "products", "quotes")
ENGAGEMENT_TYPES = frozenset({"meetings", "tasks"})
HS_CREATEDATE_TYPES = ENGAGEMENT_TYPES | {"quotes"}  # their creation stamp is hs_createdate, not createdate
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
    # Who was met and who referred: HubSpot-defined meeting↔contact and deal↔contact types
    # (HubSpot's association type id table, https://developers.hubspot.com/docs/api/crm/associations
    # "Association type ID values": contact to meeting 199, meeting to contact 200, deal to contact 3,
    # contact to deal 4).
    ("meetings", "contacts"): 200,
    ("contacts", "meetings"): 199,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
}
ASSOCIATION_TARGETS = {
    (source, type_id): target for (source, target), type_id in ASSOCIATION_TYPE_IDS.items()
}

# What HubSpot returns when a read names no properties.
DEFAULT_RETURNED = {
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "meetings": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"),
    # The search guide's defaults (https://developers.hubspot.com/docs/api/crm/search).
    "tickets": ("content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
                "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"),
    "products": ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"),
    "quotes": ("hs_createdate", "hs_expiration_date", "hs_lastmodifieddate", "hs_object_id",
               "hs_public_url_key", "hs_status", "hs_title"),
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


def singular(object_type: str) -> str:
    return "company" if object_type == "companies" else object_type.removesuffix("s")


def association_label(source: str, target: str) -> str:
    return f"{singular(source)}_to_{singular(target)}"


def always_returned(object_type: str) -> tuple[str, ...]:
    created = "hs_createdate" if object_type in HS_CREATEDATE_TYPES else "createdate"
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


def validated_properties(specs: Mapping[str, PropertySpec], properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise InputError("VALIDATION_ERROR", "`properties` must be an object of property name -> value")
    unknown = sorted(set(properties) - specs.keys())
    if unknown:
        raise InputError(
            "VALIDATION_ERROR",
            f"Property values were not valid: properties {unknown} do not exist",
            code="PROPERTY_DOESNT_EXIST",
            propertyName=unknown,
        )
    stored = {name: _stored_value(name, specs[name].definition, value) for name, value in properties.items()}
    for name, value in stored.items():
        _check_option(specs[name], value)
        _check_length(specs[name], value)
    return stored


# "When the value is added through the CRM, the character limit is 65,536 characters" for single- and
# multi-line text (https://knowledge.hubspot.com/properties/property-field-types-in-hubspot). The API's
# answer beyond it is not documented: the sandbox answers as for any invalid property value (400,
# VALIDATION_ERROR, "Property values were not valid", as the documented validation-rule errors do:
# https://developers.hubspot.com/changelog/upcoming-property-validations-rules-will-be-enforced-for-apis-and-integrations),
# with a code of its own choosing, MAX_LENGTH_EXCEEDED.
MAX_STRING_LENGTH = 65_536


def _check_length(spec: PropertySpec, value: str | None) -> None:
    if spec.type == "string" and value is not None and len(value) > MAX_STRING_LENGTH:
        raise InputError(
            "VALIDATION_ERROR",
            f"Property values were not valid: the value of {spec.name} is {len(value):,} characters long; "
            f"the limit is {MAX_STRING_LENGTH:,}",
            code="MAX_LENGTH_EXCEEDED",
            propertyName=[spec.name],
        )


def _check_option(spec: PropertySpec, value: str | None) -> None:
    """An enumeration takes only its options' values (an option's `value` is what the API reads and
    writes: https://developers.hubspot.com/docs/api-reference/latest/crm/properties/get-property);
    HubSpot refuses others with INVALID_OPTION."""
    allowed = spec.allowed_values()
    if value is None or allowed is None:
        return
    # A multi-select (checkbox) value is ;-separated options.
    chosen = value.split(";") if spec.field_type == "checkbox" else [value]
    bad = [v for v in chosen if v not in allowed]
    if bad:
        raise InputError(
            "VALIDATION_ERROR",
            f"Property values were not valid: {bad[0]!r} was not one of the allowed options "
            f"for {spec.name}: {sorted(allowed)}",
            code="INVALID_OPTION",
            propertyName=[spec.name],
        )


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


# ---- org-file records -----------------------------------------------------------------------------

OWNER_COLLECTION = "owners"


def complete_records(collections: dict[str, dict[str, Record]], loaded_at: datetime) -> None:
    """Fill the system fields a hand-written record lacks; a malformed record raises OrgFileError.

    A real portal always has them: every object carries `createdAt`/`updatedAt`/`archived` and the
    `createdate` (engagements: `hs_createdate`), `hs_lastmodifieddate` (contacts also `lastmodifieddate`)
    properties (https://developers.hubspot.com/docs/api/crm/search "default
    properties"). Missing stamps default to each other, else to the load instant; ids stay as given.
    """
    fallback = hubspot_timestamp(loaded_at)
    for object_type, records in collections.items():
        if object_type == OWNER_COLLECTION:
            for record in records.values():
                _complete_envelope(record, None, None, fallback)
            continue
        names = _system_properties(object_type)
        for record_id, record in records.items():
            if not _is_complete(record, names):  # the generator's records all are: keep loading fast
                _complete_object(object_type, record, f"hubspot.{object_type} record {record_id!r}", names,
                                 fallback)  # fmt: skip
            if object_type in PIPELINE_PROPERTIES:
                _complete_pipeline(object_type, record["properties"], record["createdAt"])


def _system_properties(object_type: str) -> tuple[str, tuple[str, ...]]:
    """(the creation-stamp property, the modification-stamp properties) of an object type."""
    created = "hs_createdate" if object_type in HS_CREATEDATE_TYPES else "createdate"
    modified = (
        ("hs_lastmodifieddate", "lastmodifieddate") if object_type == "contacts" else ("hs_lastmodifieddate",)
    )
    return created, modified


def _is_complete(record: Record, names: tuple[str, tuple[str, ...]]) -> bool:
    """Whether a record already has every system field (one dict lookup each: ~1 µs a record)."""
    try:
        properties = record["properties"]
        complete = bool(record["createdAt"] and record["updatedAt"] and properties[names[0]])
        complete = complete and all(properties[name] for name in names[1]) and "archived" in record
    except (KeyError, TypeError):
        return False
    links = record.get("associations")
    return complete and type(properties) is dict and (links is None or type(links) is dict)


def _complete_object(
    object_type: str, record: Record, where: str, names: tuple[str, tuple[str, ...]], fallback: str
) -> None:
    properties = record.setdefault("properties", {})
    if not isinstance(properties, dict):
        raise OrgFileError(f"{where}: `properties` must be an object of name -> value")
    if not isinstance(record.get("associations") or {}, dict):
        raise OrgFileError(f"{where}: `associations` must be an object of type -> [ids]")
    created_name, modified_names = names
    modified = next((properties[n] for n in modified_names if properties.get(n)), None)
    _complete_envelope(record, properties.get(created_name), modified, fallback)
    properties[created_name] = properties.get(created_name) or record["createdAt"]
    for name in modified_names:
        properties[name] = properties.get(name) or record["updatedAt"]


# Object type -> (pipeline property, stage property, the default pipeline's id): every deal and ticket is
# in a pipeline; a portal with one pipeline uses `default` for deals and `0` for tickets
# (https://developers.hubspot.com/docs/guides/api/crm/pipelines).
PIPELINE_PROPERTIES = {"deals": ("pipeline", "dealstage", "default"),
                       "tickets": ("hs_pipeline", "hs_pipeline_stage", "0")}  # fmt: skip


def _complete_pipeline(object_type: str, properties: dict[str, Any], created: str) -> None:
    """A deal/ticket lacking its pipeline is in the default one; its current stage was entered at
    creation unless the record says when (`hs_v2_date_entered_{stage}`)."""
    pipeline, stage, default = PIPELINE_PROPERTIES[object_type]
    if properties.get(stage):
        properties[pipeline] = properties.get(pipeline) or default
        entered = f"hs_v2_date_entered_{properties[stage]}"
        properties[entered] = properties.get(entered) or created


def track_stage(object_type: str, properties: dict[str, Any], previous: Any, moment: str) -> None:
    """A stage change stamps the stage calculated properties: entered (new) and exited (old)."""
    if object_type not in PIPELINE_PROPERTIES:
        return
    pipeline, stage, default = PIPELINE_PROPERTIES[object_type]
    current = properties.get(stage)
    if current and current != previous:
        properties[pipeline] = properties.get(pipeline) or default
        properties[f"hs_v2_date_entered_{current}"] = moment
        if previous:
            properties[f"hs_v2_date_exited_{previous}"] = moment


def _complete_envelope(record: Record, created: Any, modified: Any, fallback: str) -> None:
    created = created or record.get("updatedAt") or modified
    record["createdAt"] = record.get("createdAt") or created or fallback
    record["updatedAt"] = record.get("updatedAt") or modified or record["createdAt"]
    record["archived"] = bool(record.get("archived", False))
