"""Wire formats shared by both shapings: timestamps from plan minutes, ids in creation order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from ingest.sandbox.generator.plan import DAY, HUBSPOT_FIRST_ID
from ingest.sandbox.salesforce.models import SALESFORCE_KEY_PREFIXES


# ---- wire formats ---------------------------------------------------------------------------------
class WireClock:
    """Formats plan minutes as one API's timestamps, a column at a time: each day's string is built once
    (there are a few thousand distinct days); a record only concatenates day and time of day."""

    def __init__(self, anchor: date, zone_suffix: str) -> None:
        self.anchor = anchor
        self._times = [f"T{m // 60:02d}:{m % 60:02d}:00.000{zone_suffix}" for m in range(DAY)]

    def _days(self, first: int, last: int) -> list[str]:
        return [(self.anchor + timedelta(days=day)).isoformat() for day in range(first, last + 1)]

    def dates(self, days: Sequence[int]) -> list[str]:
        if not days:
            return []
        first = min(days)
        table = self._days(first, max(days))
        return [table[day - first] for day in days]

    def timestamps(self, moments: Sequence[int]) -> list[str]:
        if not moments:
            return []
        first, times = min(moments) // DAY, self._times
        table = self._days(first, max(moments) // DAY)
        return [table[moment // DAY - first] + times[moment % DAY] for moment in moments]


def stamps(clock: WireClock, records: Sequence[Any]) -> tuple[list[str], list[str]]:
    """The created and modstamp columns of `records`."""
    return clock.timestamps([r.created for r in records]), clock.timestamps([r.modstamp for r in records])


def salesforce_id_suffix(id15: str) -> str:
    """Salesforce's 3-character case-safety suffix that makes a 15-character id 18 characters."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        suffix += alphabet[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]
    return suffix


class SalesforceIds:
    """One counter across objects: prefix + 12 digits + suffix, so OrgStore.new_*_id continues above."""

    def __init__(self) -> None:
        self._next = 1

    def take(self, sobject: str, count: int) -> list[str]:
        prefix = SALESFORCE_KEY_PREFIXES[sobject]
        suffix = salesforce_id_suffix(prefix + "0" * 12)  # the numeric core never changes the suffix
        first, self._next = self._next, self._next + count
        return [f"{prefix}{n:012d}{suffix}" for n in range(first, first + count)]


class HubSpotIds:
    def __init__(self) -> None:
        self._next = HUBSPOT_FIRST_ID

    def take(self, count: int) -> list[str]:
        first, self._next = self._next, self._next + count
        return [str(n) for n in range(first, first + count)]


def in_order(records: Sequence[Any]) -> list[Any]:
    """Creation order, which is also id order (ids are handed out as records are created)."""
    return sorted(records, key=lambda record: record.created)


def ids_by_index(records: Sequence[Any], ordered_ids: list[str]) -> list[str]:
    """Ids handed out in creation order, looked up by the records' plan index."""
    by_index = [""] * len(records)
    order = sorted(range(len(records)), key=lambda index: records[index].created)
    for index, record_id in zip(order, ordered_ids, strict=True):
        by_index[index] = record_id
    return by_index


def with_phantoms(ids_by_index: list[str], phantom_ids: list[str]) -> list[str]:
    """Orphan activities carry account index -1, -2, ...: Python's negative indexing lands them on the
    phantom ids appended here in reverse, so one lookup serves real and phantom accounts alike."""
    return ids_by_index + phantom_ids[::-1]


def label(weighted: Sequence[tuple[Any, float]], variant: float) -> Any:
    for value, weight in weighted:
        variant -= weight
        if variant < 0:
            return value
    return weighted[-1][0]
