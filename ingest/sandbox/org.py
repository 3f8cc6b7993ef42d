"""The org store of both CRMs: the core's DocumentStore with a `salesforce` and a `hubspot` section."""

from __future__ import annotations

from typing import Any, ClassVar

from ingest.sandbox.core.clock import utc_now
from ingest.sandbox.core.store import DocumentStore, Record
from ingest.sandbox.hubspot.behaviour import check_behaviour
from ingest.sandbox.hubspot.models import complete_records as complete_hubspot_records
from ingest.sandbox.hubspot.models import new_hubspot_id
from ingest.sandbox.hubspot.properties import check_metadata
from ingest.sandbox.salesforce.models import fill_system_fields, new_salesforce_id, salesforce_timestamp


def fill_salesforce_system_fields(sobjects: dict[str, dict[str, Record]], stamp: str) -> None:
    """Records an org file wrote without their audit fields get them (a CRM always has them)."""
    for sobject, records in sobjects.items():
        fill_system_fields(sobject, records.values(), stamp)


class OrgStore(DocumentStore):
    """`salesforce`: sobject name -> {Id: record}; `hubspot`: object type -> {id: record}."""

    SECTIONS: ClassVar[dict[str, str]] = {"salesforce": "Id", "hubspot": "id"}
    SETTINGS: ClassVar[dict[str, frozenset[str]]] = {
        "salesforce": frozenset({"custom_fields"}),
        "hubspot": frozenset({"custom_properties"}),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.salesforce: dict[str, dict[str, Record]] = self.sections["salesforce"]
        self.hubspot: dict[str, dict[str, Record]] = self.sections["hubspot"]
        complete_hubspot_records(self.hubspot, utc_now())
        check_metadata(self.extras.get("hubspot") or {})
        check_behaviour(self.extras.get("hubspot") or {})
        fill_salesforce_system_fields(self.salesforce, salesforce_timestamp(self.now()))

    def new_salesforce_id(self, sobject: str) -> str:
        return new_salesforce_id(self, sobject)

    def new_hubspot_id(self) -> str:
        return new_hubspot_id(self)
