"""A HubSpot record as a seeded portal file holds it, shared by the HubSpot sandbox tests."""

from __future__ import annotations

from typing import Any

STAMP = "2026-03-01T15:00:00.000Z"  # every seeded record's createdAt / updatedAt


def hubspot_record(
    record_id: str, links: dict[str, list[str]] | None = None, **properties: str
) -> dict[str, Any]:
    """One CRM object in the portal file's shape: `links` are its associations, by object type."""
    return {
        "id": record_id,
        "properties": properties,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
        "associations": links or {},
    }
