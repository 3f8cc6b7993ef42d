"""Describe metadata: field flags, picklist values and compound fields, standard plus the org file's.

The org file may carry a `salesforce._metadata` section (docs/sandbox.md):

    {"Account": {"fields": {"Type": {"picklistValues": ["Prospect", "Active Referral Source"]}}},
     "Task": {"fields": {"Cadence_Task_Key__c": {"type": "string", "externalId": true, "unique": true}}}}

A field named there exists in the org (like `custom_fields`); its flags override the standard ones.
A declared `picklistValues` list is the org's whole list (an org's admin edits the standard list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Salesforce's standard picklist values of the fields the sandbox knows, in their standard order; the
# first value marked default where the org has one out of the box.
# Source: Salesforce Object Reference, Account / Task / Event / Opportunity / Lead field lists
# (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm
# and the pages of the other objects), and a fresh Developer Edition org's picklist setup.
_ACTIVITY_TYPES = ("Call", "Email", "Meeting", "Other")
STANDARD_PICKLISTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Account": {
        "Type": ("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
                 "Installation Partner", "Technology Partner", "Other"),
        "Industry": ("Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
                     "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
                     "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government",
                     "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media",
                     "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
                     "Telecommunications", "Transportation", "Utilities", "Other"),
    },
    "Contact": {"Salutation": ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")},
    "Task": {
        "Type": _ACTIVITY_TYPES,
        "Status": ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"),
        "Priority": ("High", "Normal", "Low"),
    },
    "Event": {"Type": _ACTIVITY_TYPES},
    "Opportunity": {
        "StageName": ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
                      "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
                      "Negotiation/Review", "Closed Won", "Closed Lost"),
    },
    "Lead": {"Status": ("Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                        "Closed - Not Converted")},
}  # fmt: skip
PICKLIST_DEFAULTS = {("Task", "Status"): "Not Started", ("Task", "Priority"): "Normal"}

# Compound fields: components name their parent in describe `compoundFieldName`.
# Source: "Compound Fields", Salesforce Object Reference
# (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/compound_fields.htm).
_ADDRESS_PARTS = (
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "Latitude",
    "Longitude",
    "GeocodeAccuracy",
)


def _address(prefix: str, compound: str) -> dict[str, str]:
    return {f"{prefix}{part}": compound for part in _ADDRESS_PARTS}


_PERSON_NAME = {"FirstName": "Name", "LastName": "Name", "Salutation": "Name"}
COMPOUND_COMPONENTS: dict[str, dict[str, str]] = {
    "Account": {**_address("Billing", "BillingAddress"), **_address("Shipping", "ShippingAddress")},
    "Contact": {**_address("Mailing", "MailingAddress"), **_PERSON_NAME},
    "User": {**_address("", "Address"), "FirstName": "Name", "LastName": "Name"},
    "Lead": {**_address("", "Address"), **_PERSON_NAME},
}

# Fields a record cannot be saved without (describe nillable false), beyond the system fields.
# Source: each object's page in the Object Reference ("Required" / nillable in the field table).
# OwnerId of accounts, contacts and opportunities stays nillable here: the generator's junk includes
# ownerless records (an owner deactivated and cleared by a data load), which the product must survive.
REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "Account": frozenset({"Name"}),
    "Contact": frozenset({"LastName", "Name"}),
    "User": frozenset({"Name", "LastName", "Username", "Email", "IsActive"}),
    "Opportunity": frozenset({"Name", "StageName", "CloseDate", "IsClosed", "IsWon"}),
    "Task": frozenset({"OwnerId", "Status", "Priority", "IsClosed", "IsArchived"}),
    "Event": frozenset({"OwnerId", "StartDateTime", "EndDateTime", "ActivityDateTime", "IsArchived"}),
    "Lead": frozenset({"LastName", "Name", "Company", "Status", "OwnerId"}),
    "Campaign": frozenset({"Name", "OwnerId"}),
    "Product2": frozenset({"Name"}),
    "Pricebook2": frozenset({"Name"}),
    "UserRole": frozenset({"Name"}),
}
# Fields usable as the lookup key of an upsert / get_by_custom_id besides External IDs (idLookup).
ID_LOOKUP_FIELDS: dict[str, frozenset[str]] = {
    "Account": frozenset({"Name"}),
    "Contact": frozenset({"Email", "Name"}),
    "User": frozenset({"Email", "Username", "Name"}),
}
# Salesforce types that are not filterable/sortable/groupable in SOQL.
# Source: DescribeSObjectResult Field (filterable, sortable, groupable),
# https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm
_UNSORTABLE_TYPES = frozenset({"textarea", "address", "location", "multipicklist"})
_UNGROUPABLE_TYPES = _UNSORTABLE_TYPES | {"datetime", "double", "currency", "percent"}
_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "datetime": "xsd:dateTime",
    "date": "xsd:date", "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
    "int": "xsd:int", "address": "urn:address", "location": "urn:location",
}  # fmt: skip
FLAG_NAMES = frozenset(
    {"externalId", "unique", "nillable", "createable", "updateable", "filterable", "sortable", "groupable",
     "idLookup", "length", "label", "picklistValues", "type", "caseSensitive"}
)  # fmt: skip


def picklist_entries(values: Any, default: str | None = None) -> list[dict[str, Any]]:
    """PicklistEntry dicts from a list of values (strings, or entries an org file wrote in full)."""
    entries = []
    for value in values or ():
        if isinstance(value, Mapping):
            entry = {"active": True, "defaultValue": False, "label": value.get("value"), "validFor": None}
            entries.append({**entry, **value})
        else:
            entries.append(
                {
                    "active": True,
                    "defaultValue": value == default,
                    "label": value,
                    "value": value,
                    "validFor": None,
                }
            )
    return entries


def declared_fields(extras: Mapping[str, Any], sobject: str) -> dict[str, dict[str, Any]]:
    """The org file's `_metadata` field declarations of one sobject (field -> flags)."""
    metadata = extras.get("_metadata") or {}
    fields = (metadata.get(sobject) or {}).get("fields") or {}
    return {name: dict(flags or {}) for name, flags in fields.items()}


def field_flags(sobject: str, name: str, field_type: str, system: bool, derived: bool) -> dict[str, Any]:
    """Describe's flags of one field as a standard org has them (the org file may override any)."""
    writable = not system and not derived and field_type not in {"address", "location"}
    compound_parent = COMPOUND_COMPONENTS.get(sobject, {}).get(name)
    required = name in REQUIRED_FIELDS.get(sobject, ()) or name == "Id"
    picklist = STANDARD_PICKLISTS.get(sobject, {}).get(name)
    return {
        "nillable": not (system or required or field_type == "boolean"),
        "createable": writable,
        "updateable": writable and name != "Id",
        "filterable": field_type not in {"textarea", "address", "location"},
        "sortable": field_type not in _UNSORTABLE_TYPES,
        "groupable": field_type not in _UNGROUPABLE_TYPES,
        "idLookup": name == "Id" or name in ID_LOOKUP_FIELDS.get(sobject, ()),
        "compoundFieldName": compound_parent,
        "picklistValues": picklist_entries(picklist, PICKLIST_DEFAULTS.get((sobject, name))),
        "soapType": _SOAP_TYPES.get(field_type, "xsd:string"),
    }


# A compound address is selected as a structured value built from its parts (Compound Fields: "Address
# Compound Fields", https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/compound_fields_address.htm).
_ADDRESS_KEYS = {"Street": "street", "City": "city", "State": "state", "PostalCode": "postalCode",
                 "Country": "country", "Latitude": "latitude", "Longitude": "longitude",
                 "GeocodeAccuracy": "geocodeAccuracy"}  # fmt: skip


def with_compound_values(
    records: list[Any], selected: tuple[str, ...], types: Mapping[str, str]
) -> list[Any]:
    """Records with each selected address field filled from its parts (null when every part is)."""
    compounds = [name for name in selected if types.get(name) == "address"]
    if not compounds:
        return records  # the common case: nothing copied
    prefixes = {name: name.removesuffix("Address") for name in compounds}
    return [
        {**record, **{name: _address_value(record, prefixes[name]) for name in compounds}}
        for record in records
    ]


def _address_value(record: Any, prefix: str) -> dict[str, Any] | None:
    value = {key: record.get(prefix + part) for part, key in _ADDRESS_KEYS.items()}
    return value if any(v is not None for v in value.values()) else None
