"""Prospect companies and their contacts through companies/batch/create and contacts/batch/create (up
to 100 inputs; a contact's `associations` link it to its company in the same call, HubSpot-defined type
279 "contact to company": https://developers.hubspot.com/docs/api/crm/associations "Association type ID
values"). `npi` is sent only when the portal has the property.

A batch create is never resent after a lost answer: the writeback looks the locations up with a company
search by ZIP. Search trails writes by seconds (https://github.com/HubSpot/hubspot-api-php/issues/59), so
a company created in the lost call's last seconds can look missing and be created twice: the one window
left; the next run's check (synced warehouse and search) never adds a third, and the duplicate shows in
the CRM's own duplicate management."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ingest.hubspot.helpers import HubSpotClient
from orchestration.prospects.matching import CrmAccount
from orchestration.prospects.selection import ProspectAction, Referrer
from orchestration.prospects.writer import CreatesOnly
from orchestration.writeback.hubspot import BATCH_LIMIT, _errors_text
from orchestration.writeback.run import WriteOutcome

CONTACT_TO_COMPANY = 279  # HubSpot-defined association type id
NPI_PROPERTY = "npi"
_SEARCH_LIMIT = 100  # search: at most 100 results a page, and IN takes at most 100 values a filter
_SEARCHED = ["name", "address", "zip", NPI_PROPERTY]


class HubSpotProspectWriter(CreatesOnly):
    crm = "hubspot"
    batch_size = BATCH_LIMIT

    def __init__(self, client: HubSpotClient, lifecyclestage: str) -> None:
        self.client = client
        self.lifecyclestage = lifecyclestage  # the first hubspot_prospect_lifecyclestages value
        self.company_npi = NPI_PROPERTY in self._properties("companies")
        self.contact_npi = NPI_PROPERTY in self._properties("contacts")
        self.contacts_created = 0
        self.contact_errors: list[str] = []

    def create(self, batch: Sequence[ProspectAction]) -> list[WriteOutcome]:
        inputs = [{"properties": self._company(a)} for a in batch]
        response = self.client.request(
            "POST", "/crm/v3/objects/companies/batch/create", json={"inputs": inputs}, idempotent=False
        )
        # Batch results come in no promised order: a company is known by its address and ZIP.
        made = {_place(r.get("properties") or {}): r["id"] for r in response.get("results", [])}
        error = _errors_text(response)
        outcomes = [
            WriteOutcome(a.task_key, made[place], True)
            if (place := _place(self._company(a))) in made
            else WriteOutcome(a.task_key, None, False, error or "not created")
            for a in batch
        ]
        self._create_contacts(batch, outcomes)
        return outcomes

    def accounts_at(self, zips: Iterable[str], npis: Iterable[str] = ()) -> list[CrmAccount]:
        """Companies whose zip is one of these ZIP5s (an exact match: a person's ZIP+4 is found by the
        synced warehouse instead), or whose npi is one of these."""
        groups = [("zip", sorted(set(zips)))]
        if self.company_npi:
            groups.append((NPI_PROPERTY, sorted(set(npis))))
        found: dict[str, CrmAccount] = {}
        for name, values in groups:
            for start in range(0, len(values), _SEARCH_LIMIT):
                for r in self._search(name, values[start : start + _SEARCH_LIMIT]):
                    p = r.get("properties") or {}
                    found[r["id"]] = CrmAccount(r["id"], p.get("name"), p.get("address"), p.get("zip"),
                                                p.get(NPI_PROPERTY))  # fmt: skip
        return list(found.values())

    def _search(self, name: str, values: list[str]) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": [{"propertyName": name, "operator": "IN", "values": values}]}],
            "properties": _SEARCHED, "limit": _SEARCH_LIMIT,
        }  # fmt: skip
        results: list[dict[str, Any]] = []
        while True:
            page = self.client.request("POST", "/crm/v3/objects/companies/search", json=body)
            results += page.get("results", [])
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return results
            body["after"] = after

    def _company(self, action: ProspectAction) -> dict[str, str]:
        c = action.candidate
        properties = {
            "name": c.name, "lifecyclestage": self.lifecyclestage, "hubspot_owner_id": c.owner_id,
            "address": c.address_line_1, "city": c.city or "", "state": c.state or "", "zip": c.zip5,
        }  # fmt: skip
        if self.company_npi and c.npi:
            properties[NPI_PROPERTY] = c.npi
        return properties

    def _create_contacts(self, batch: Sequence[ProspectAction], outcomes: Sequence[WriteOutcome]) -> None:
        inputs = [
            self._contact(action, outcome.crm_task_id or "", referrer)
            for action, outcome in zip(batch, outcomes, strict=True)
            if outcome.ok
            for referrer in action.candidate.referrers
        ]
        for start in range(0, len(inputs), BATCH_LIMIT):
            response = self.client.request(
                "POST", "/crm/v3/objects/contacts/batch/create",
                json={"inputs": inputs[start : start + BATCH_LIMIT]}, idempotent=False,
            )  # fmt: skip
            self.contacts_created += len(response.get("results", []))
            if error := _errors_text(response):
                self.contact_errors.append(error)

    def _contact(self, action: ProspectAction, company_id: str, referrer: Referrer) -> dict[str, Any]:
        properties = {
            "firstname": referrer.first_name or "", "lastname": referrer.last_name,
            "hubspot_owner_id": action.owner_id,
        }  # fmt: skip
        if self.contact_npi:
            properties[NPI_PROPERTY] = referrer.npi
        association = {
            "to": {"id": company_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": CONTACT_TO_COMPANY}],
        }
        return {"properties": properties, "associations": [association]}

    def _properties(self, object_type: str) -> set[str]:
        return {p["name"] for p in self.client.request("GET", f"/crm/v3/properties/{object_type}")["results"]}


def _place(properties: dict[str, Any]) -> tuple[str, str]:
    return (str(properties.get("address") or ""), str(properties.get("zip") or ""))
