"""What the Salesforce source reads: objects, their fields, and each field's warehouse type.

The table and column names follow docs/raw-layer.md (dlt's snake_case of the API names). To read an
extra field, pass `extra_fields={"Account": ["Industry"]}` to the source (strings become optional
VARCHAR fields) or add a `SalesforceField` to `SALESFORCE_OBJECTS` below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from dlt.common.normalizers.naming.snake_case import NamingConvention

FieldType = Literal["string", "timestamp", "date", "boolean", "double"]

CURSOR_FIELD = "SystemModstamp"
CURSOR_COLUMN = "system_modstamp"
PRIMARY_KEY = "id"
MAX_PAGE_SIZE = 2000  # Salesforce's largest query batch
MIN_PAGE_SIZE = 200  # and its smallest
DEFAULT_TASK_KEY_FIELD = "Cadence_Task_Key__c"

_naming = NamingConvention()


@dataclass(frozen=True)
class SalesforceField:
    api_name: str
    type: FieldType = "string"
    # A required field the org lacks fails the sync (CrmSchemaError); an optional one loads as nulls.
    required: bool = True
    column_name: str | None = None  # defaults to dlt's snake_case of api_name

    @property
    def column(self) -> str:
        return self.column_name or _naming.normalize_identifier(self.api_name)


@dataclass(frozen=True)
class SalesforceObject:
    name: str  # the sobject's API name, e.g. "Account"
    fields: tuple[SalesforceField, ...]
    table_name: str | None = None

    @property
    def table(self) -> str:
        return self.table_name or _naming.normalize_identifier(self.name)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]


def _fields(*specs: str | SalesforceField) -> tuple[SalesforceField, ...]:
    return tuple(SalesforceField(s) if isinstance(s, str) else s for s in specs)


_ID = SalesforceField("Id")
_CREATED = SalesforceField("CreatedDate", "timestamp")
_MODSTAMP = SalesforceField(CURSOR_FIELD, "timestamp")
_DELETED = SalesforceField("IsDeleted", "boolean")
_ACTIVITY_DATE = SalesforceField("ActivityDate", "date")
_IS_ACTIVE = SalesforceField("IsActive", "boolean")
# Registry matching (issue 15): the billing address is the practice address; NPI__c a custom field an
# org may have (Salesforce's Health Cloud keeps NPIs elsewhere; most orgs add a text field).
_ADDRESS = _fields("BillingStreet", "BillingCity", "BillingState", "BillingPostalCode")
_NPI = SalesforceField("NPI__c", required=False)

SALESFORCE_OBJECTS: dict[str, SalesforceObject] = {
    o.name: o
    for o in (
        # User has no IsDeleted: users are deactivated (IsActive = false), never deleted.
        SalesforceObject("User", _fields(_ID, "Name", "Email", _IS_ACTIVE, _MODSTAMP)),
        SalesforceObject(
            "Account",
            _fields(
                _ID, "Name", "Type", "OwnerId", "ParentId",
                SalesforceField("Visit_Cadence_Days__c", "double", required=False),
                *_ADDRESS, _NPI, _CREATED, _MODSTAMP, _DELETED,
            ),
        ),
        SalesforceObject(
            "Contact",
            _fields(
                _ID, "AccountId", "Name", "FirstName", "LastName", "Title", _NPI,
                _CREATED, _MODSTAMP, _DELETED,
            ),
        ),
        SalesforceObject(
            "Event",
            _fields(
                _ID, "AccountId", "WhatId", "OwnerId", "Type", "Subject", _ACTIVITY_DATE,
                SalesforceField("StartDateTime", "timestamp"), _CREATED, _MODSTAMP, _DELETED,
                "WhoId",  # the contact met (int_visit_attendees); last, so older columns keep their place
            ),
        ),
        # Who was met beyond the WhoId: one row per invitee (IsInvitee) and, with Shared Activities, per
        # related contact (IsParent) or the What (IsWhat). It has SystemModstamp and IsDeleted and
        # supports getUpdated/getDeleted, so it syncs incrementally like the others (Object Reference,
        # EventRelation: https://developer.salesforce.com/docs/platform/object-reference/references/
        # standard-objects/object-eventrelation.html). IsParent and IsWhat exist only where Shared
        # Activities is enabled: optional, so an org without it loads them as nulls.
        SalesforceObject(
            "EventRelation",
            _fields(
                _ID, "EventId", "RelationId", SalesforceField("IsInvitee", "boolean"),
                SalesforceField("IsParent", "boolean", required=False),
                SalesforceField("IsWhat", "boolean", required=False), _CREATED, _MODSTAMP, _DELETED,
            ),
        ),
        SalesforceObject(
            "Task",
            _fields(
                _ID, "AccountId", "WhatId", "OwnerId", "Type", "Subject", "Status", "Priority",
                _ACTIVITY_DATE, SalesforceField("IsClosed", "boolean"), "Description",
                SalesforceField(DEFAULT_TASK_KEY_FIELD, required=False, column_name="cadence_task_key_c"),
                _CREATED, _MODSTAMP, _DELETED,
            ),
        ),
        SalesforceObject(
            "Opportunity", _fields(_ID, "AccountId", "Name", "StageName", _CREATED, _MODSTAMP, _DELETED)
        ),
        # Who referred: the contacts with a role on the referral (Object Reference, OpportunityContactRole:
        # https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/
        # object-opportunitycontactrole.html). Chosen over Opportunity.ContactId: it is the documented
        # record of every contact on an opportunity, with its own SystemModstamp/IsDeleted (incremental).
        SalesforceObject(
            "OpportunityContactRole",
            _fields(
                _ID, "OpportunityId", "ContactId", "Role", SalesforceField("IsPrimary", "boolean"),
                _CREATED, _MODSTAMP, _DELETED,
            ),
        ),
    )
}  # fmt: skip


def resolve_objects(
    objects: Sequence[str] | None = None,
    extra_fields: Mapping[str, Sequence[str | SalesforceField]] | None = None,
    task_key_field: str = DEFAULT_TASK_KEY_FIELD,
) -> list[SalesforceObject]:
    """The objects to sync, in settings order, with user-added fields and the org's task-key field.

    The task-key field's API name is configurable (SalesforceConfig.task_key_field), but its column
    stays `cadence_task_key_c` so the models never depend on an org's naming.
    """
    names = list(objects) if objects is not None else list(SALESFORCE_OBJECTS)
    unknown = [n for n in names if n not in SALESFORCE_OBJECTS]
    if unknown:
        raise ValueError(f"unknown Salesforce object(s) {unknown}; known: {sorted(SALESFORCE_OBJECTS)}")
    extra_fields = extra_fields or {}
    resolved = []
    for name in names:
        spec = SALESFORCE_OBJECTS[name]
        fields = [
            replace(f, api_name=task_key_field) if f.api_name == DEFAULT_TASK_KEY_FIELD else f
            for f in spec.fields
        ]
        known = {f.api_name for f in fields}
        for extra in extra_fields.get(name, ()):
            extra = SalesforceField(extra, required=False) if isinstance(extra, str) else extra
            if extra.api_name not in known:
                fields.append(extra)
        resolved.append(replace(spec, fields=tuple(fields)))
    return resolved


__all__ = [
    "CURSOR_COLUMN",
    "CURSOR_FIELD",
    "MAX_PAGE_SIZE",
    "MIN_PAGE_SIZE",
    "PRIMARY_KEY",
    "SALESFORCE_OBJECTS",
    "FieldType",
    "SalesforceField",
    "SalesforceObject",
    "resolve_objects",
]
