"""HubSpot property definitions: the standard properties of each object type (enumerations with their
default options), property groups, and what an org file declares in `hubspot._metadata`.

Shapes follow the Properties API: `GET /crm/v3/properties/{objectType}` answers `{"results": [property]}`
and `GET /crm/v3/properties/{objectType}/{propertyName}` one property, each with `name, label, type,
fieldType, groupName, options[{label, value, displayOrder, hidden}], hasUniqueValue, calculated,
externalOptions, hidden, modificationMetadata, formField`
(https://developers.hubspot.com/docs/api-reference/latest/crm/properties/get-property,
https://developers.hubspot.com/docs/api-reference/latest/crm/properties/get-property). Groups:
`GET /crm/v3/properties/{objectType}/groups[/{groupName}]` with `name, label, displayOrder, archived`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ingest.sandbox.core.store import OrgFileError

PropertyDef = tuple[str, str]  # (type, fieldType)
_DATETIME: PropertyDef = ("datetime", "date")
_NUMBER: PropertyDef = ("number", "number")
_TEXT: PropertyDef = ("string", "text")
_TEXTAREA: PropertyDef = ("string", "textarea")
_SELECT: PropertyDef = ("enumeration", "select")
_FIELD_TYPES = {"datetime": "date", "date": "date", "number": "number", "enumeration": "select",
                "bool": "booleancheckbox", "string": "text"}  # fmt: skip


@dataclass(frozen=True)
class Option:
    label: str
    value: str
    display_order: int = 0
    hidden: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "displayOrder": self.display_order,
                "hidden": self.hidden, "description": ""}  # fmt: skip


@dataclass(frozen=True)
class PropertySpec:
    """One property of one object type, as the Properties API describes it."""

    name: str
    type: str
    field_type: str
    group: str
    label: str = ""
    options: tuple[Option, ...] = ()
    has_unique_value: bool = False
    calculated: bool = False
    external_options: bool = False
    hidden: bool = False
    form_field: bool = False
    hubspot_defined: bool = True
    referenced_object_type: str | None = None
    description: str = ""
    display_order: int = -1
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def definition(self) -> PropertyDef:
        return (self.type, self.field_type)

    def allowed_values(self) -> frozenset[str] | None:
        """The option values a write may set, or None when any value goes (no options, or external)."""
        if self.type != "enumeration" or self.external_options or not self.options:
            return None
        return frozenset(option.value for option in self.options)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "name": self.name,
            "label": self.label or self.name.replace("_", " ").title(),
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group,
            "description": self.description,
            "options": [option.to_wire() for option in self.options],
            "displayOrder": self.display_order,
            "hidden": self.hidden,
            "formField": self.form_field,
            "hubspotDefined": self.hubspot_defined,
            "calculated": self.calculated,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.has_unique_value,
            "archived": False,
            "createdAt": "2019-08-06T02:41:52.000Z" if self.hubspot_defined else "2025-01-01T00:00:00.000Z",
            "updatedAt": "2019-08-06T02:41:52.000Z" if self.hubspot_defined else "2025-01-01T00:00:00.000Z",
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.calculated,
            },
        }
        if self.referenced_object_type:
            wire["referencedObjectType"] = self.referenced_object_type
        return {**wire, **self.extra}


def _options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(label, value, index) for index, (label, value) in enumerate(pairs))


# HubSpot's default lifecycle stages, the same property on contacts and companies
# (a public guide: https://techunit.io/blog/hubspot-lifecycle-stages; subscriber, lead, MQL, SQL, opportunity,
# customer, evangelist, other; internal values as the Properties API returns them).
LIFECYCLE_STAGES = _options(
    ("Subscriber", "subscriber"), ("Lead", "lead"), ("Marketing Qualified Lead", "marketingqualifiedlead"),
    ("Sales Qualified Lead", "salesqualifiedlead"), ("Opportunity", "opportunity"),
    ("Customer", "customer"), ("Evangelist", "evangelist"), ("Other", "other"),
)  # fmt: skip
# Meeting outcomes (https://developers.hubspot.com/docs/api-reference/latest/crm/activities/meetings/guide:
# "hs_meeting_outcome ... SCHEDULED, COMPLETED, RESCHEDULED, NO_SHOW, CANCELED").
MEETING_OUTCOMES = _options(
    ("Scheduled", "SCHEDULED"), ("Completed", "COMPLETED"), ("Rescheduled", "RESCHEDULED"),
    ("No Show", "NO_SHOW"), ("Canceled", "CANCELED"),
)  # fmt: skip
# Task properties (https://developers.hubspot.com/docs/api-reference/latest/crm/activities/tasks/guide:
# hs_task_status COMPLETED / NOT_STARTED (the UI also sets IN_PROGRESS, WAITING, DEFERRED);
# hs_task_priority LOW, MEDIUM, HIGH (NONE when unset); hs_task_type EMAIL, CALL, TODO).
TASK_STATUSES = _options(
    ("Not Started", "NOT_STARTED"), ("In Progress", "IN_PROGRESS"), ("Waiting", "WAITING"),
    ("Completed", "COMPLETED"), ("Deferred", "DEFERRED"),
)  # fmt: skip
TASK_PRIORITIES = _options(("None", "NONE"), ("Low", "LOW"), ("Medium", "MEDIUM"), ("High", "HIGH"))
TASK_TYPES = _options(("Email", "EMAIL"), ("Call", "CALL"), ("To-do", "TODO"))
# The default "Sales Pipeline" (id `default`) and its stages
# (https://developers.hubspot.com/docs/guides/api/crm/pipelines; internal stage ids as the
# Pipelines API lists them for a new portal).
DEAL_STAGES = _options(
    ("Appointment Scheduled", "appointmentscheduled"), ("Qualified To Buy", "qualifiedtobuy"),
    ("Presentation Scheduled", "presentationscheduled"),
    ("Decision Maker Bought-In", "decisionmakerboughtin"),
    ("Contract Sent", "contractsent"), ("Closed Won", "closedwon"), ("Closed Lost", "closedlost"),
)  # fmt: skip
DEAL_PIPELINES = _options(("Sales Pipeline", "default"))
# The tickets "Support Pipeline" (id 0) and its stages, as the Pipelines API lists a new portal's.
TICKET_PIPELINES = _options(("Support Pipeline", "0"))
TICKET_STAGES = (Option("New", "1", 0), Option("Waiting on contact", "2", 1), Option("Waiting on us", "3", 2),
                 Option("Closed", "4", 3))  # fmt: skip
TICKET_PRIORITIES = _options(("Low", "LOW"), ("Medium", "MEDIUM"), ("High", "HIGH"), ("Urgent", "URGENT"))
QUOTE_STATUSES = _options(("Draft", "DRAFT"), ("Pending approval", "PENDING_APPROVAL"),
                          ("Approval not approved", "REJECTED"), ("Approved", "APPROVED"))  # fmt: skip


def _group_of(object_type: str) -> str:
    singular = "company" if object_type == "companies" else object_type.removesuffix("s")
    return f"{singular}information"


def _standard(object_type: str, name: str, spec: PropertyDef, **details: Any) -> PropertySpec:
    return PropertySpec(name, spec[0], spec[1], _group_of(object_type), **details)


_OWNER = {"external_options": True, "referenced_object_type": "OWNER", "label": "Owner"}
_ID = {"has_unique_value": True, "calculated": False, "label": "Record ID"}

_STANDARD: dict[str, dict[str, tuple[PropertyDef, dict[str, Any]]]] = {
    "companies": {
        "name": (_TEXT, {"label": "Company name", "form_field": True}), "domain": (_TEXT, {}),
        "lifecyclestage": (_SELECT, {"options": LIFECYCLE_STAGES, "label": "Lifecycle Stage"}),
        "createdate": (_DATETIME, {"label": "Create Date"}), "phone": (_TEXT, {}), "city": (_TEXT, {}),
        "state": (_TEXT, {}), "industry": (_SELECT, {}), "hs_parent_company_id": (_NUMBER, {}),
        # Default company properties "Street Address" and "Postal Code" (HubSpot Knowledge Base, "HubSpot's
        # default company properties": https://knowledge.hubspot.com/properties/hubspot-crm-default-company-properties).
        "address": (_TEXT, {"label": "Street Address"}), "zip": (_TEXT, {"label": "Postal Code"}),
    },
    "contacts": {
        "firstname": (_TEXT, {"form_field": True}), "lastname": (_TEXT, {"form_field": True}),
        # A real portal refuses a second contact with the same email ("Contact already exists").
        "email": (_TEXT, {"form_field": True, "has_unique_value": False}), "jobtitle": (_TEXT, {}),
        "phone": (_TEXT, {}), "lifecyclestage": (_SELECT, {"options": LIFECYCLE_STAGES}),
        "createdate": (_DATETIME, {}), "lastmodifieddate": (_DATETIME, {"calculated": True}),
    },
    "meetings": {
        "hs_meeting_title": (_TEXT, {}), "hs_meeting_body": (_TEXTAREA, {}),
        "hs_meeting_start_time": (_DATETIME, {}), "hs_meeting_end_time": (_DATETIME, {}),
        "hs_meeting_outcome": (_SELECT, {"options": MEETING_OUTCOMES, "label": "Meeting outcome"}),
        "hs_activity_type": (_SELECT, {}), "hs_timestamp": (_DATETIME, {}), "hs_createdate": (_DATETIME, {}),
    },
    "tasks": {
        "hs_task_subject": (_TEXT, {}), "hs_task_body": (_TEXTAREA, {}),
        "hs_task_status": (_SELECT, {"options": TASK_STATUSES, "label": "Task Status"}),
        "hs_task_priority": (_SELECT, {"options": TASK_PRIORITIES, "label": "Priority"}),
        "hs_task_type": (_SELECT, {"options": TASK_TYPES, "label": "Task Type"}),
        "hs_timestamp": (_DATETIME, {}), "hs_task_completion_date": (_DATETIME, {}),
        "hs_createdate": (_DATETIME, {}),
    },
    "deals": {
        "dealname": (_TEXT, {}), "dealstage": (_SELECT, {"options": DEAL_STAGES, "label": "Deal Stage"}),
        "pipeline": (_SELECT, {"options": DEAL_PIPELINES, "label": "Pipeline"}), "amount": (_NUMBER, {}),
        "closedate": (_DATETIME, {}), "createdate": (_DATETIME, {}),
        # Stage calculated properties, one pair per stage of every pipeline
        # (https://knowledge.hubspot.com/properties/stage-calculated-properties).
        **{f"hs_v2_date_{edge}_{o.value}": (_DATETIME, {"calculated": True}) for o in DEAL_STAGES
           for edge in ("entered", "exited")},
    },
    "tickets": {
        "subject": (_TEXT, {"label": "Ticket name"}), "content": (_TEXTAREA, {"label": "Ticket description"}),
        "hs_pipeline": (_SELECT, {"options": TICKET_PIPELINES, "label": "Pipeline"}),
        "hs_pipeline_stage": (_SELECT, {"options": TICKET_STAGES, "label": "Ticket status"}),
        "hs_ticket_priority": (_SELECT, {"options": TICKET_PRIORITIES, "label": "Priority"}),
        "hs_ticket_category": (_SELECT, {}), "createdate": (_DATETIME, {}),
        **{f"hs_v2_date_{edge}_{o.value}": (_DATETIME, {"calculated": True}) for o in TICKET_STAGES
           for edge in ("entered", "exited")},
    },
    "products": {
        "name": (_TEXT, {}), "description": (_TEXTAREA, {}), "price": (_NUMBER, {}), "hs_sku": (_TEXT, {}),
        "createdate": (_DATETIME, {}),
    },
    "quotes": {
        "hs_title": (_TEXT, {}), "hs_status": (_SELECT, {"options": QUOTE_STATUSES}),
        "hs_expiration_date": (_DATETIME, {}), "hs_public_url_key": (_TEXT, {}),
        "hs_createdate": (_DATETIME, {}),
    },
}  # fmt: skip
_COMMON: dict[str, tuple[PropertyDef, dict[str, Any]]] = {
    "hs_object_id": (_NUMBER, _ID),
    "hs_lastmodifieddate": (_DATETIME, {"calculated": True, "label": "Object last modified date/time"}),
    "hubspot_owner_id": (_SELECT, _OWNER),
}
# Types of the optional custom properties the pipeline uses, when an org file names them without a type.
_KNOWN_CUSTOM = {"visit_cadence_days": _NUMBER, "cadence_task_key": _TEXT, "npi": _TEXT}


def standard_properties(object_type: str) -> dict[str, PropertySpec]:
    """The HubSpot-defined properties of an object type, in a portal nobody customised."""
    entries = {**_COMMON, **_STANDARD.get(object_type, {})}
    return {name: _standard(object_type, name, spec, **details) for name, (spec, details) in entries.items()}


def standard_definitions(object_type: str) -> dict[str, PropertyDef]:
    return {name: spec for name, (spec, _) in {**_COMMON, **_STANDARD.get(object_type, {})}.items()}


_KNOWN_DATETIMES = frozenset(
    name for props in _STANDARD.values() for name, (spec, _) in props.items() if spec == _DATETIME
) | {"hs_lastmodifieddate"}


def guessed_type(name: str) -> PropertyDef:
    """The type of a property only found on a record (no declaration): a known name's, else text."""
    return _DATETIME if name in _KNOWN_DATETIMES else _KNOWN_CUSTOM.get(name, _TEXT)


def custom_property(object_type: str, entry: Any) -> PropertySpec:
    """A legacy `custom_properties` entry: a bare name, or {"name", "type", "fieldType"}."""
    if isinstance(entry, str):
        name, spec = entry, guessed_type(entry)
    else:
        spec_type = entry.get("type", "string")
        name, spec = entry["name"], (spec_type, entry.get("fieldType", _FIELD_TYPES.get(spec_type, "text")))
    return PropertySpec(name, spec[0], spec[1], _group_of(object_type), hubspot_defined=False)


def found_property(object_type: str, name: str) -> PropertySpec:
    spec = guessed_type(name)
    return PropertySpec(name, spec[0], spec[1], _group_of(object_type), hubspot_defined=False)


# ---- org-file metadata ------------------------------------------------------------------------

_DECLARED_KEYS = {
    "type", "fieldType", "label", "groupName", "description", "options", "hasUniqueValue", "calculated",
    "externalOptions", "hidden", "formField", "displayOrder",
}  # fmt: skip


class MetadataError(ValueError):
    """An org file's `hubspot._metadata` that cannot be read; the message names the entry."""


def check_metadata(extras: Mapping[str, Any]) -> None:
    """Read every declaration of `hubspot._metadata` at load, so a bad one is one line naming it."""
    metadata = extras.get("_metadata") or {}
    try:
        if not isinstance(metadata, dict):
            raise MetadataError("hubspot._metadata must be an object: object type -> {properties, groups}")
        for object_type in metadata:
            build_schema(object_type, extras, ())
    except (MetadataError, TypeError, ValueError) as exc:
        raise OrgFileError(str(exc)) from exc


def declared_property(object_type: str, name: str, entry: Any, base: PropertySpec | None) -> PropertySpec:
    """`_metadata.{type}.properties.{name}`: a new custom property, or extra options for an existing one.

    For an existing (standard) property only `options` (appended), `label` and `hasUniqueValue` are
    taken; a portal cannot change a HubSpot-defined property's type.
    """
    where = f"hubspot._metadata.{object_type}.properties.{name}"
    if not isinstance(entry, dict):
        raise MetadataError(f'{where} must be an object (e.g. {{"type": "string"}})')
    unknown = sorted(set(entry) - _DECLARED_KEYS)
    if unknown:
        raise MetadataError(f"{where} has unknown keys {unknown}; allowed: {sorted(_DECLARED_KEYS)}")
    options = _declared_options(where, entry.get("options") or [])
    if base is not None:
        merged = _merge_options(base.options, options)
        return replace(base, options=merged, label=entry.get("label", base.label),
                       has_unique_value=bool(entry.get("hasUniqueValue", base.has_unique_value)))  # fmt: skip
    spec_type = entry.get("type") or ("enumeration" if options else guessed_type(name)[0])
    if spec_type not in _FIELD_TYPES:
        raise MetadataError(f"{where}.type {spec_type!r} is not one of {sorted(_FIELD_TYPES)}")
    return PropertySpec(
        name, spec_type, entry.get("fieldType") or _FIELD_TYPES[spec_type],
        entry.get("groupName") or _group_of(object_type), label=entry.get("label", ""), options=options,
        has_unique_value=bool(entry.get("hasUniqueValue")), calculated=bool(entry.get("calculated")),
        external_options=bool(entry.get("externalOptions")), hidden=bool(entry.get("hidden")),
        form_field=bool(entry.get("formField")), hubspot_defined=False,
        description=str(entry.get("description", "")), display_order=int(entry.get("displayOrder", -1)),
    )  # fmt: skip


def _declared_options(where: str, raw: Any) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        raise MetadataError(f'{where}.options must be a list of {{"label", "value"}}')
    options = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"label": item, "value": item}
        if not isinstance(item, dict) or "value" not in item:
            raise MetadataError(f"{where}.options[{index}] needs a `value`")
        value = str(item["value"])
        options.append(Option(str(item.get("label", value)), value, int(item.get("displayOrder", index)),
                              bool(item.get("hidden", False))))  # fmt: skip
    return tuple(options)


def _merge_options(base: tuple[Option, ...], extra: Iterable[Option]) -> tuple[Option, ...]:
    known = {option.value for option in base}
    new = [option for option in extra if option.value not in known]
    added = [replace(option, display_order=len(base) + i) for i, option in enumerate(new)]
    return (*base, *added)


@dataclass(frozen=True)
class PropertyGroup:
    name: str
    label: str
    display_order: int = -1

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "displayOrder": self.display_order, "archived": False}


def standard_groups(object_type: str) -> list[PropertyGroup]:
    group = _group_of(object_type)
    label = group.removesuffix("information").title() + " information"
    return [PropertyGroup(group, label, 0)]


def declared_groups(object_type: str, raw: Any) -> list[PropertyGroup]:
    where = f"hubspot._metadata.{object_type}.groups"
    if not isinstance(raw, list):
        raise MetadataError(f'{where} must be a list of {{"name", "label"}}')
    groups = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise MetadataError(f"{where}[{index}] needs a `name`")
        groups.append(PropertyGroup(item["name"], str(item.get("label", item["name"])),
                                    int(item.get("displayOrder", index + 1))))  # fmt: skip
    return groups


@dataclass
class ObjectSchema:
    """Every property and group of one object type in this portal."""

    properties: dict[str, PropertySpec]
    groups: list[PropertyGroup]
    definitions: dict[str, PropertyDef] = field(init=False)  # {name: (type, fieldType)}

    def __post_init__(self) -> None:
        self.definitions = {name: spec.definition for name, spec in self.properties.items()}

    def unique_properties(self) -> list[str]:
        return [name for name, spec in self.properties.items() if spec.has_unique_value]


def build_schema(
    object_type: str, extras: Mapping[str, Any], record_property_names: Iterable[str]
) -> ObjectSchema:
    """Standard properties, then the org file's declarations (`_metadata`, then legacy
    `custom_properties`), then any name found on a record (typed by guess)."""
    properties = standard_properties(object_type)
    groups = standard_groups(object_type)
    metadata = (extras.get("_metadata") or {}).get(object_type) or {}
    if not isinstance(metadata, dict):
        raise MetadataError(f"hubspot._metadata.{object_type} must be an object with `properties`/`groups`")
    groups += declared_groups(object_type, metadata.get("groups") or [])
    declared = metadata.get("properties") or {}
    if not isinstance(declared, dict):
        raise MetadataError(f"hubspot._metadata.{object_type}.properties must be an object: name -> spec")
    for name, entry in declared.items():
        properties[name] = declared_property(object_type, name, entry, properties.get(name))
    for entry in (extras.get("custom_properties") or {}).get(object_type) or []:
        spec = custom_property(object_type, entry)
        properties.setdefault(spec.name, spec)
    for name in record_property_names:
        if name not in properties:
            properties[name] = found_property(object_type, name)
    known_groups = {group.name for group in groups}
    for spec in properties.values():
        if spec.group not in known_groups:
            groups.append(PropertyGroup(spec.group, spec.group, len(groups)))
            known_groups.add(spec.group)
    return ObjectSchema(properties, groups)
