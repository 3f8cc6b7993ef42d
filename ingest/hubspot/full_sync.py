"""A first full sync through the list endpoints, with each record's companies inline.

`GET /crm/v3/objects/{type}?associations=companies,contacts&properties=...&limit=100` pages through
every live record (in id order) with its associated company (and contact) ids in the same answer.
Search, which the incremental syncs use, is the wrong tool for reading everything: it is limited to 5
requests a second per portal and 10,000 results a query (so windows restart past the cap), and needs one
v4 association batch read per 1,000 records besides
(https://developers.hubspot.com/docs/api/crm/search#limitations). The list endpoints count against the
general per-10-seconds limit (100 or 190 requests) instead and have no result cap. They cannot filter,
so incrementals stay on search.

The cursor is what the search path saves: the newest modstamp read, never past the CRM's clock −
lookback (ingest/cursor.py). Pages in id order are fine for that: the cursor takes the maximum over
every page, and a record changed while the listing ran is newer than the clock read before it.

Inline associations are paginated past 100 per record ("if your request returns more than 100
associations, you will need to use the value of the after field":
https://developers.hubspot.com/changelog/announcing-a-change-to-how-v3-crm-apis-return-association-data);
the rare record whose list continues is read whole through the v4 batch read instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ingest.hubspot.helpers import HubSpotClient, Record, associated_ids, id_order


def listed_pages(
    client: HubSpotClient, object_type: str, properties: list[str], associated: Sequence[str]
) -> Iterator[list[Record]]:
    """Every live record of `object_type`, 100 a page, with its `associated` types' ids inline."""
    params = {"properties": ",".join(properties)}
    if associated:
        params["associations"] = ",".join(associated)
    return client.list_pages(f"/crm/v3/objects/{object_type}", params)


def inline_ids(
    client: HubSpotClient, object_type: str, to_type: str, records: list[Record]
) -> dict[str, str]:
    """id → comma-separated sorted `to_type` ids of listed records (as `helpers.associated_ids` answers)."""
    found: dict[str, str] = {}
    continued: list[str] = []
    for record in records:
        block = (record.get("associations") or {}).get(to_type) or {}
        if (block.get("paging") or {}).get("next"):
            continued.append(str(record["id"]))
            continue
        # One record may appear under several association types (labelled and unlabelled).
        linked = {str(link["id"]) for link in block.get("results", [])}
        found[str(record["id"])] = ",".join(sorted(linked, key=id_order))
    if continued:
        found.update(associated_ids(client, object_type, to_type, continued))
    return found
