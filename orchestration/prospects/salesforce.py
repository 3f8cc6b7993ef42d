"""Prospect Accounts and their Contacts through composite/sobjects (POST: "create up to 200 records",
allOrNone false answers one SaveResult {id, success, errors} per record in order:
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm).

A create is a plain POST, never resent by the HTTP layer: after a lost answer the writeback looks the
batch's locations up (`find_tasks_by_key`: SOQL, no lag) and creates only the missing. `NPI__c` is sent
only when the org has the field (describe)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ingest.salesforce.helpers import TIMEOUT, SalesforceClient
from orchestration.prospects.matching import CrmAccount
from orchestration.prospects.selection import ProspectAction, Referrer
from orchestration.prospects.writer import CreatesOnly
from orchestration.writeback.run import WriteOutcome
from orchestration.writeback.salesforce import COMPOSITE_LIMIT, _soql_list

NPI_FIELD = "NPI__c"
_ZIPS_PER_QUERY = 100  # keeps the SOQL well under its 100,000-character limit


class SalesforceProspectWriter(CreatesOnly):
    crm = "salesforce"
    batch_size = COMPOSITE_LIMIT

    def __init__(self, client: SalesforceClient, account_type: str) -> None:
        self.client = client
        self.account_type = account_type  # the first salesforce_prospect_types value
        self.account_npi = NPI_FIELD in _fields(client, "Account")
        self.contact_npi = NPI_FIELD in _fields(client, "Contact")
        self.contacts_created = 0
        self.contact_errors: list[str] = []

    def create(self, batch: Sequence[ProspectAction]) -> list[WriteOutcome]:
        results = self._post([self._account(a) for a in batch])
        outcomes = [_outcome(a, r) for a, r in zip(batch, results, strict=True)]
        contacts = [
            self._contact(action, outcome.crm_task_id or "", referrer)
            for action, outcome in zip(batch, outcomes, strict=True)
            if outcome.ok
            for referrer in action.candidate.referrers
        ]
        for start in range(0, len(contacts), COMPOSITE_LIMIT):
            for result in self._post(contacts[start : start + COMPOSITE_LIMIT]):
                self._count_contact(result)
        return outcomes

    def accounts_at(self, zips: Iterable[str], npis: Iterable[str] = ()) -> list[CrmAccount]:
        """The live Accounts billed in these ZIP5s (5- or 9-digit codes), or carrying these NPIs."""
        zips, npis = sorted(set(zips)), sorted(set(npis)) if self.account_npi else []
        fields = "Id, Name, BillingStreet, BillingPostalCode" + (f", {NPI_FIELD}" if self.account_npi else "")
        found: dict[str, CrmAccount] = {}
        for start in range(0, max(len(zips), len(npis), 1), _ZIPS_PER_QUERY):
            part = slice(start, start + _ZIPS_PER_QUERY)
            conditions = [f"BillingPostalCode LIKE '{z}%'" for z in zips[part]]
            if npis[part]:
                conditions.append(f"{NPI_FIELD} IN ({_soql_list(npis[part])})")
            if not conditions:
                break
            soql = f"SELECT {fields} FROM Account WHERE IsDeleted = false AND ({' OR '.join(conditions)})"
            for r in self.client.call(lambda sf, soql=soql: sf.query_all(soql))["records"]:
                found[r["Id"]] = CrmAccount(r["Id"], r.get("Name"), r.get("BillingStreet"),
                                            r.get("BillingPostalCode"), r.get(NPI_FIELD))  # fmt: skip
        return list(found.values())

    def _account(self, action: ProspectAction) -> dict[str, Any]:
        c = action.candidate
        record = {
            "attributes": {"type": "Account"}, "Name": c.name, "Type": self.account_type,
            "OwnerId": c.owner_id, "BillingStreet": c.address_line_1, "BillingCity": c.city,
            "BillingState": c.state, "BillingPostalCode": c.zip5,
        }  # fmt: skip
        if self.account_npi and c.npi:
            record[NPI_FIELD] = c.npi
        return record

    def _contact(self, action: ProspectAction, account_id: str, referrer: Referrer) -> dict[str, Any]:
        record = {
            "attributes": {"type": "Contact"}, "AccountId": account_id, "OwnerId": action.owner_id,
            "FirstName": referrer.first_name, "LastName": referrer.last_name,
        }  # fmt: skip
        if self.contact_npi:
            record[NPI_FIELD] = referrer.npi
        return record

    def _count_contact(self, result: dict[str, Any]) -> None:
        if result.get("success"):
            self.contacts_created += 1
        else:
            self.contact_errors.append(_errors(result))

    def _post(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = {"allOrNone": False, "records": records}
        return self.client.call(
            lambda sf: sf.restful("composite/sobjects", method="POST", json=body, timeout=TIMEOUT),
            idempotent=False,
        )


def _fields(client: SalesforceClient, sobject: str) -> set[str]:
    description = client.call(lambda sf: sf.restful(f"sobjects/{sobject}/describe"))
    return {field["name"] for field in description.get("fields", [])}


def _errors(result: dict[str, Any]) -> str:
    errors = result.get("errors", [])
    return "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errors) or "rejected"


def _outcome(action: ProspectAction, result: dict[str, Any]) -> WriteOutcome:
    if result.get("success"):
        return WriteOutcome(action.task_key, result.get("id"), True)
    return WriteOutcome(action.task_key, None, False, _errors(result))
