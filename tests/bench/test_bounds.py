"""The bench's API-bound lower bound of a step, hand-computed from call counts at the published limits."""

from __future__ import annotations

import pytest

from orchestration.bench.bounds import api_bound, bound_for_calls
from orchestration.bench.report import Row


def test_hubspot_bound_is_the_slowest_endpoint_class_at_each_tier() -> None:
    counts = {
        "hubspot.total": 1_000,
        "hubspot.search.companies": 600,
        "hubspot.search.meetings": 200,
        "hubspot.list.companies": 150,
        "hubspot.associations.meetings.companies": 50,
    }
    bound = api_bound(counts, "hubspot")
    assert bound.calls == {"search": 800, "other": 200}
    # search: 800 / 5 per s = 160 s; other: 200 / 19 per s = 10.5 s (Pro), 200 / 10 per s = 20 s (Free)
    assert bound.seconds == {"pro": 160.0, "free": 160.0}
    assert bound.cell() == "160.0"


def test_a_step_of_other_calls_is_bound_by_the_ten_second_window_and_shows_both_tiers() -> None:
    assert bound_for_calls(search=5, other=380) == {"pro": 20.0, "free": 38.0}
    row = Row("writeback", "hubspot", 3.0, 100, 50.0, api_bound=api_bound({"hubspot.total": 380}, "hubspot"))
    assert row.cells()[5] == "20.0/38.0"
    assert row.as_json()["api_bound"]["seconds"] == {"pro": 20.0, "free": 38.0}


def test_salesforce_has_no_rate_bound_only_a_share_of_the_daily_allowance() -> None:
    bound = api_bound({"salesforce.total": 842, "salesforce.query_more": 836}, "salesforce")
    assert bound.seconds == {} and bound.cell() == "0"
    assert bound.daily_share == pytest.approx(842 / 100_000)
