"""The real-peer ratio the bench states: the per-record baseline's wall time over ours, per CRM, for
the full and the unchanged sync; the 10x target is checked on the Salesforce full sync only."""

from __future__ import annotations

from orchestration.bench.report import Row
from orchestration.bench.run import _targets, peer_ratios


def _row(step: str, crm: str, wall_s: float) -> Row:
    return Row(step, crm, wall_s, rows=1_000, peak_mb=100)


def test_ratios_pair_each_step_with_its_baseline() -> None:
    rows = [
        _row("full sync", "salesforce", 8.0),
        _row("full sync, per-record baseline", "salesforce", 140.0),
        _row("unchanged sync", "salesforce", 4.0),
        _row("unchanged sync, per-record baseline", "salesforce", 6.0),
        _row("full sync", "hubspot", 170.0),  # no baseline run for HubSpot: no ratio
    ]
    assert peer_ratios(rows) == {"salesforce full": 17.5, "salesforce unchanged": 1.5}
    assert _targets(rows)["salesforce_speedup_vs_per_record"] == {"value": 17.5, "target": 10, "ok": True}


def test_no_baseline_no_ratio() -> None:
    rows = [_row("full sync", "salesforce", 8.0)]
    assert peer_ratios(rows) == {}
    assert "salesforce_speedup_vs_per_record" not in _targets(rows)
