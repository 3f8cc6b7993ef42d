"""HubSpot's incremental search (ingest/hubspot/helpers.ChangedRecords) at and past the 10,000-result cap.

A fake search stands in for the API (this is the windowing algorithm, not the client): it filters on
`hs_lastmodifieddate` (GTE/GT/EQ, epoch ms) and `hs_object_id` (GT, numeric), sorts ascending with ties
in id order (as the sandbox does), pages 200 at a time by offset `after`, and refuses any page past the
10,000th result as HubSpot does ("Search results are limited to 10000 records", a 400;
https://developers.hubspot.com/docs/api-reference/search/guide, "Limitations").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest.hubspot.helpers import ChangedRecords, id_order, to_epoch_ms
from ingest.hubspot.settings import MODSTAMP, OBJECT_ID, SEARCH_PAGE_SIZE, SEARCH_RESULT_CAP

T0 = datetime(2024, 6, 1, tzinfo=UTC)
_MATCH = {
    "GTE": lambda value, bound: value >= bound,
    "GT": lambda value, bound: value > bound,
    "EQ": lambda value, bound: value == bound,
}


class CapRefused(AssertionError):
    """The pager asked past the cap: HubSpot would answer 400."""


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def record(number: int, moment: datetime) -> dict[str, Any]:
    return {"id": str(number), "properties": {MODSTAMP: stamp(moment), OBJECT_ID: str(number)}}


Row = tuple[int, tuple[int, str], dict[str, Any]]  # (modstamp ms, id order, record)


class FakeSearch:
    """`client.search(object_type, body)` over an in-memory portal; remembers every body it answered."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        rows = [(_ms(r["properties"][MODSTAMP]), id_order(r["id"]), r) for r in records]
        self.sorted_by = {
            MODSTAMP: sorted(rows, key=lambda row: row[:2]),  # ties in id order
            OBJECT_ID: sorted(rows, key=lambda row: row[1]),
        }
        self.bodies: list[Mapping[str, Any]] = []
        self._hits: dict[str, list[Row]] = {}  # one query's matches, computed once for all its pages

    def search(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        after, limit = int(body.get("after", 0)), int(body["limit"])
        if after + limit > SEARCH_RESULT_CAP:
            raise CapRefused(f"after={after} limit={limit}")
        self.bodies.append(body)
        hits = self._matching(body)
        results = [row[2] for row in hits[after : after + limit]]
        answer: dict[str, Any] = {"total": len(hits), "results": results}
        if after + limit < len(hits):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return answer

    def _matching(self, body: Mapping[str, Any]) -> list[Row]:
        query = repr((body["filterGroups"], body["sorts"]))
        if query not in self._hits:
            filters = [f for group in body["filterGroups"] for f in group["filters"]]
            rows = self.sorted_by[body["sorts"][0]["propertyName"]]
            self._hits[query] = [row for row in rows if all(_matches(row, f) for f in filters)]
        return self._hits[query]


def _ms(value: str) -> int:
    return to_epoch_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _matches(row: Row, search_filter: Mapping[str, str]) -> bool:
    prop, operator, bound = search_filter["propertyName"], search_filter["operator"], search_filter["value"]
    if prop == OBJECT_ID:
        return _MATCH[operator](row[1], id_order(bound))
    return _MATCH[operator](row[0], int(bound))


def read_all(fake: FakeSearch, since: datetime | None = None) -> list[str]:
    pager = ChangedRecords(fake, "companies", [MODSTAMP])  # type: ignore[arg-type]
    since_ms = to_epoch_ms(since) if since is not None else None
    return [rec["id"] for page in pager.pages(since_ms) for rec in page]


def one_per_second(count: int, first: int = 1) -> list[dict[str, Any]]:
    return [record(first + n, T0 + timedelta(seconds=n)) for n in range(count)]


def test_the_page_size_and_cap_are_hubspots() -> None:
    assert (SEARCH_PAGE_SIZE, SEARCH_RESULT_CAP) == (200, 10_000)


def test_an_empty_portal_costs_one_search() -> None:
    fake = FakeSearch([])
    assert read_all(fake) == []
    assert len(fake.bodies) == 1


def test_exactly_ten_thousand_results_fit_one_window() -> None:
    fake = FakeSearch(one_per_second(10_000))
    got = read_all(fake)
    assert got == [str(n) for n in range(1, 10_001)]
    assert len(fake.bodies) == 50  # 50 pages of 200, the last one at after=9800; no second window
    assert fake.bodies[-1]["after"] == "9800"


def test_one_past_the_cap_opens_a_second_window_at_the_last_modstamp() -> None:
    fake = FakeSearch(one_per_second(10_001))
    got = read_all(fake)
    assert got == [str(n) for n in range(1, 10_002)]  # each once: the 10,000th is skipped on the re-read
    assert len(fake.bodies) == 51
    second = fake.bodies[-1]
    assert "after" not in second
    last_read = stamp(T0 + timedelta(seconds=9_999))
    assert second["filterGroups"] == [
        {"filters": [{"propertyName": MODSTAMP, "operator": "GTE", "value": str(_ms(last_read))}]}
    ]


def test_records_sharing_the_window_edge_modstamp_are_neither_lost_nor_doubled() -> None:
    """The 10,000th result shares its modstamp with 5 more: the next window starts GTE that stamp."""
    records = one_per_second(9_998) + [record(9_999 + n, T0 + timedelta(days=1)) for n in range(7)]
    fake = FakeSearch(records)
    got = read_all(fake)
    assert sorted(got, key=id_order) == [str(n) for n in range(1, 10_006)]
    assert len(got) == len(set(got)) == 10_005


def test_more_than_ten_thousand_at_one_modstamp_are_walked_by_id() -> None:
    """10,250 records written by one import at one instant, then one later change."""
    crowd = [record(n, T0) for n in range(1, 10_251)]
    later = record(20_000, T0 + timedelta(minutes=1))
    fake = FakeSearch([*crowd, later])
    got = read_all(fake, since=T0)
    assert sorted(got, key=id_order) == [*(str(n) for n in range(1, 10_251)), "20000"]
    assert len(got) == len(set(got))
    walks = [b for b in fake.bodies if b["sorts"][0]["propertyName"] == OBJECT_ID]
    assert walks, "the crowded instant is walked by id"
    assert walks[0]["filterGroups"][0]["filters"] == [
        {"propertyName": MODSTAMP, "operator": "EQ", "value": str(to_epoch_ms(T0))},
        {"propertyName": OBJECT_ID, "operator": "GT", "value": "10000"},
    ]
    # After the walk the search moves strictly past the crowded instant.
    assert fake.bodies[-1]["filterGroups"][0]["filters"] == [
        {"propertyName": MODSTAMP, "operator": "GT", "value": str(to_epoch_ms(T0))}
    ]


def test_since_filters_with_gte() -> None:
    fake = FakeSearch(one_per_second(5))
    assert read_all(fake, since=T0 + timedelta(seconds=3)) == ["4", "5"]
    assert fake.bodies[0]["filterGroups"][0]["filters"][0]["operator"] == "GTE"


@pytest.mark.parametrize("count", [9_999, 10_000, 10_199, 10_200, 15_001])
def test_no_request_ever_asks_past_the_cap(count: int) -> None:
    fake = FakeSearch(one_per_second(count))
    got = read_all(fake)  # FakeSearch raises CapRefused on any request past the 10,000th result
    assert len(got) == len(set(got)) == count
