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
from ingest.sandbox.salesforce import metadata
from ingest.sandbox.salesforce.errors import RecordError
from ingest.sandbox.salesforce.lengths import standard_length

API_VERSIONS = ("57.0", "58.0", "59.0", "60.0", "61.0", "62.0")
ORG_ID = "00D000000000001AAA"
INTEGRATION_USER_ID = "005000000000000AAA"

# Key prefixes of the objects the sandbox knows (sandbox.md; Salesforce's standard key prefixes,
# https://help.salesforce.com/s/articleView?id=000385203 "Standard Field Record ID Prefix Decoder").
SALESFORCE_KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
    "Lead": "00Q",
    "Campaign": "701",
    "CampaignMember": "00v",
    "Product2": "01t",
    "Pricebook2": "01s",
    "PricebookEntry": "01u",
    "OpportunityLineItem": "00k",
    "OpportunityContactRole": "00K",
    "UserRole": "00E",
    "EventRelation": "0RE",
    "Organization": "00D",
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


def _address(prefix: str, compound: str) -> dict[str, str]:
    parts = {f"{prefix}{p}": "string" for p in ("Street", "City", "State", "PostalCode", "Country")}
    parts[f"{prefix}Street"] = "textarea"
    geo = {
        f"{prefix}Latitude": "double",
        f"{prefix}Longitude": "double",
        f"{prefix}GeocodeAccuracy": "picklist",
    }
    return {**parts, **geo, compound: "address"}


_PERSON = {"Salutation": "picklist", "FirstName": "string", "LastName": "string", "Name": "string"}
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
        "UserRoleId": "reference",
        "TimeZoneSidKey": "picklist",
        **_address("", "Address"),
    },
    "Account": {
        **_AUDIT_FIELDS,
        "Name": "string",
        "Type": "picklist",
        "OwnerId": "reference",
        "ParentId": "reference",
        "Industry": "picklist",
        "Phone": "phone",
        **_address("Billing", "BillingAddress"),
        **_address("Shipping", "ShippingAddress"),
    },
    "Contact": {
        **_AUDIT_FIELDS,
        "AccountId": "reference",
        "OwnerId": "reference",
        **_PERSON,
        "Title": "string",
        "Email": "email",
        "Phone": "phone",
        **_address("Mailing", "MailingAddress"),
    },
    "Event": {
        **_AUDIT_FIELDS,
        **_ACTIVITY_FIELDS,
        "StartDateTime": "datetime",
        "EndDateTime": "datetime",
        "ActivityDateTime": "datetime",
        "DurationInMinutes": "int",
        "Location": "string",
        "IsArchived": "boolean",
    },
    "Task": {
        **_AUDIT_FIELDS,
        **_ACTIVITY_FIELDS,
        "Status": "picklist",
        "Priority": "picklist",
        "IsClosed": "boolean",
        "CompletedDateTime": "datetime",
        "IsArchived": "boolean",
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
    # The standard objects dlt's verified Salesforce source reads (empty unless the org file has
    # records). Fields: each object's page in the Object Reference
    # (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_list.htm).
    "Lead": {
        **_AUDIT_FIELDS,
        **_PERSON,
        "OwnerId": "reference",
        "Company": "string",
        "Status": "picklist",
        "Email": "email",
        "IsConverted": "boolean",
        **_address("", "Address"),
    },
    "Campaign": {
        **_AUDIT_FIELDS,
        "Name": "string",
        "OwnerId": "reference",
        "Type": "picklist",
        "Status": "picklist",
        "StartDate": "date",
        "EndDate": "date",
        "IsActive": "boolean",
    },
    "CampaignMember": {
        **_AUDIT_FIELDS,
        "CampaignId": "reference",
        "LeadId": "reference",
        "ContactId": "reference",
        "Status": "picklist",
    },
    "Product2": {**_AUDIT_FIELDS, "Name": "string", "ProductCode": "string", "IsActive": "boolean"},
    "Pricebook2": {**_AUDIT_FIELDS, "Name": "string", "IsActive": "boolean", "IsStandard": "boolean"},
    "PricebookEntry": {
        **_AUDIT_FIELDS,
        "Pricebook2Id": "reference",
        "Product2Id": "reference",
        "UnitPrice": "currency",
        "IsActive": "boolean",
    },
    "OpportunityLineItem": {
        **_AUDIT_FIELDS,
        "OpportunityId": "reference",
        "PricebookEntryId": "reference",
        "Product2Id": "reference",
        "Quantity": "double",
        "UnitPrice": "currency",
        "TotalPrice": "currency",
    },
    "OpportunityContactRole": {
        **_AUDIT_FIELDS,
        "OpportunityId": "reference",
        "ContactId": "reference",
        "Role": "picklist",
        "IsPrimary": "boolean",
    },
    # UserRole has no IsDeleted or CreatedDate/CreatedById (Object Reference: UserRole).
    "UserRole": {
        "Id": "id",
        "Name": "string",
        "ParentRoleId": "reference",
        "LastModifiedDate": "datetime",
        "LastModifiedById": "reference",
        "SystemModstamp": "datetime",
    },
    # Shared Activities' shape: invitees (IsInvitee), related contacts (IsParent), the What (IsWhat).
    "EventRelation": {
        **_AUDIT_FIELDS,
        "EventId": "reference",
        "RelationId": "reference",
        "AccountId": "reference",
        "Status": "picklist",
        "Response": "string",
        "RespondedDate": "datetime",
        "IsInvitee": "boolean",
        "IsParent": "boolean",
        "IsWhat": "boolean",
    },
    # One read-only record, the org itself (Object Reference: Organization).
    "Organization": {
        **{k: v for k, v in _AUDIT_FIELDS.items() if k != "IsDeleted"},
        "Name": "string",
        "OrganizationType": "picklist",
        "InstanceName": "string",
        "IsSandbox": "boolean",
        "TimeZoneSidKey": "picklist",
        "LanguageLocaleKey": "picklist",
        "DefaultLocaleSidKey": "picklist",
    },
}
# Custom fields the product knows; they exist in an org only when its records (or declared custom
# fields) carry them, but their type is known even when every value is null.
KNOWN_CUSTOM_FIELD_TYPES = {
    "Visit_Cadence_Days__c": "double",
    "Cadence_Task_Key__c": "string",
    "NPI__c": "string",
}
SYSTEM_FIELDS = frozenset(_AUDIT_FIELDS)
DERIVED_FIELDS = {"Task": frozenset({"IsClosed"})}  # computed from other fields, never written
REFERENCE_TARGETS = {
    "OwnerId": ["User"],
    "CreatedById": ["User"],
    "LastModifiedById": ["User"],
    "AccountId": ["Account"],
    "ParentId": ["Account"],
    "WhatId": ["Account", "Opportunity"],
    "WhoId": ["Contact", "Lead"],
    "UserRoleId": ["UserRole"],
    "ParentRoleId": ["UserRole"],
    "CampaignId": ["Campaign"],
    "LeadId": ["Lead"],
    "ContactId": ["Contact"],
    "OpportunityId": ["Opportunity"],
    "Product2Id": ["Product2"],
    "Pricebook2Id": ["Pricebook2"],
    "PricebookEntryId": ["PricebookEntry"],
    "EventId": ["Event"],
    "RelationId": ["Contact", "Lead", "User"],
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
        """Fields the org declares although no record may carry them yet: the org-file keys
        `salesforce.custom_fields` ({"Task": ["Cadence_Task_Key__c"]} or {"Task": {name: type}}) and
        `salesforce._metadata` ({"Task": {"fields": {name: {"type": ..., ...}}}})."""
        extras = self.store.extras.get("salesforce") or {}
        declared = (extras.get("custom_fields") or {}).get(sobject) or {}
        if isinstance(declared, list):
            fields = {name: KNOWN_CUSTOM_FIELD_TYPES.get(name, "string") for name in declared}
        else:
            fields = dict(declared)
        for name, flags in metadata.declared_fields(extras, sobject).items():
            fields.setdefault(name, flags.get("type") or KNOWN_CUSTOM_FIELD_TYPES.get(name, "string"))
        return fields

    def declared_flags(self, sobject: str, name: str) -> dict[str, Any]:
        extras = self.store.extras.get("salesforce") or {}
        return metadata.declared_fields(extras, sobject).get(name, {})

    def field_length(self, sobject: str, name: str, field_type: str) -> int:
        """The field's length: the org file's declared `length`, else the standard one."""
        declared = self.declared_flags(sobject, name).get("length")
        return int(declared) if declared is not None else standard_length(sobject, name, field_type)

    def unique_fields(self, sobject: str) -> list[str]:
        """The fields the org declares unique (External IDs are unique only when declared so)."""
        extras = self.store.extras.get("salesforce") or {}
        return [n for n, flags in metadata.declared_fields(extras, sobject).items() if flags.get("unique")]

    def external_id_fields(self, sobject: str) -> list[str]:
        extras = self.store.extras.get("salesforce") or {}
        return [
            n for n, flags in metadata.declared_fields(extras, sobject).items() if flags.get("externalId")
        ]

    def describe_field(self, sobject: str, name: str, field_type: str) -> dict[str, Any]:
        """A DescribeSObjectResult Field (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/
        sforce_api_calls_describesobjects_describesobjectresult.htm), org-file flags over standard ones."""
        system, derived = name in SYSTEM_FIELDS, name in DERIVED_FIELDS.get(sobject, ())
        length = standard_length(sobject, name, field_type)
        described: dict[str, Any] = {
            "name": name,
            "type": field_type,
            "label": label(name),
            "custom": name.endswith("__c"),
            "externalId": False,
            "unique": False,
            "caseSensitive": False,
            "calculated": False,
            "autoNumber": False,
            "defaultedOnCreate": system or field_type == "boolean",
            "nameField": name == "Name",
            "length": length,
            # Three bytes a character in text fields (describe reports 765 for a 255-character field).
            "byteLength": length * (3 if field_type in soql.TEXT_TYPES else 1),
            "referenceTo": REFERENCE_TARGETS.get(name, []) if field_type == "reference" else [],
            "relationshipName": _relationship_name(name) if field_type == "reference" else None,
            "restrictedPicklist": False,
            "deprecatedAndHidden": False,
            **metadata.field_flags(sobject, name, field_type, system, derived),
        }
        overrides = {k: v for k, v in self.declared_flags(sobject, name).items() if k in metadata.FLAG_NAMES}
        if "picklistValues" in overrides:
            overrides["picklistValues"] = metadata.picklist_entries(overrides["picklistValues"])
        if overrides.get("externalId"):
            overrides.setdefault("idLookup", True)  # External IDs are indexed lookup keys
        return {**described, **overrides}


def _relationship_name(name: str) -> str | None:
    """'OwnerId' -> 'Owner', 'Custom__c' -> 'Custom__r' (the relationship a SOQL path would use)."""
    if name.endswith("__c"):
        return name[:-3] + "__r"
    return name[:-2] if name.endswith("Id") else None


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


# ---- system fields an org file may leave out -----------------------------------------------------
# A real record always carries its audit fields (Object Reference, "System Fields":
# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm),
# so a record loaded without them gets them: the modstamps from whichever stamp it has, the audit user
# from its owner (or the integration user). Ids and every value given stay as they are.
_AUDIT_KEYS = frozenset(
    {"CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp"}
)
_FILLED_KEYS = {
    sobject: frozenset(_AUDIT_KEYS & fields.keys()) | ({"IsDeleted"} & fields.keys())
    for sobject, fields in STANDARD_FIELDS.items()
}
_FILLED_KEYS["Contact"] |= {"FirstName", "LastName"}
_FILLED_KEYS["User"] |= {"FirstName", "LastName", "Username"}
_FILLED_KEYS["Opportunity"] |= {"IsClosed", "IsWon", "CloseDate"}
_FILLED_KEYS["Event"] |= {"ActivityDateTime", "IsArchived"}
_FILLED_KEYS["Task"] |= {"IsArchived"}
_FILLED_KEYS["EventRelation"] |= {"IsInvitee", "IsParent", "IsWhat"}
_FILLED_KEYS["OpportunityContactRole"] |= {"IsPrimary"}
# Booleans "Defaulted on create" to false (Object Reference: EventRelation, OpportunityContactRole).
_FALSE_BY_DEFAULT = {
    "EventRelation": ("IsInvitee", "IsParent", "IsWhat"),
    "OpportunityContactRole": ("IsPrimary",),
}


def fill_system_fields(sobject: str, records: Iterable[Record], default_stamp: str) -> None:
    """Give every record of `sobject` the system fields it lacks (in place; cheap when none lacks any)."""
    needed = _FILLED_KEYS.get(sobject, _AUDIT_KEYS | {"IsDeleted"})
    for record in records:
        if needed <= record.keys():
            continue
        _fill_audit(record, needed, default_stamp)
        _fill_standard(sobject, record)


def _fill_audit(record: Record, needed: frozenset[str], default_stamp: str) -> None:
    stamp = (
        record.get("SystemModstamp")
        or record.get("LastModifiedDate")
        or record.get("CreatedDate")
        or default_stamp
    )
    defaults: dict[str, Any] = {
        "SystemModstamp": stamp,
        "LastModifiedDate": record.get("SystemModstamp") or stamp,
        "CreatedDate": stamp,
        "CreatedById": record.get("OwnerId") or INTEGRATION_USER_ID,
        "IsDeleted": False,
    }
    defaults["LastModifiedById"] = record.get("CreatedById") or defaults["CreatedById"]
    for name, value in defaults.items():
        if name in needed and record.get(name) is None:
            record[name] = value


def _fill_standard(sobject: str, record: Record) -> None:
    """Required standard values derivable from what the record has (Object Reference, per object)."""
    if sobject in ("Contact", "User") and record.get("Name") and not record.get("LastName"):
        first, _, last = str(record["Name"]).removeprefix("Dr. ").rpartition(" ")
        record.setdefault("FirstName", first or None)
        record["LastName"] = last
    if sobject == "User" and not record.get("Username"):
        record["Username"] = record.get("Email") or f"{record['Id']}@sandbox.example"
    if sobject == "Opportunity":
        stage = record.get("StageName")
        record.setdefault("IsClosed", stage in ("Closed Won", "Closed Lost"))
        record.setdefault("IsWon", stage == "Closed Won")
        if not record.get("CloseDate") and record.get("CreatedDate"):
            record["CloseDate"] = str(record["CreatedDate"])[:10]
    if sobject == "Event":
        record.setdefault("ActivityDateTime", record.get("StartDateTime"))
    if sobject in ("Task", "Event"):
        record.setdefault("IsArchived", False)
    for name in _FALSE_BY_DEFAULT.get(sobject, ()):
        record.setdefault(name, False)
