"""The rules of issue 14 (cadence policy, referral trend, task priority): typed, and refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.rules import CadencePolicyEntry, Rules, RulesError, load_rules


def _load(tmp_path: Path, text: str) -> Rules:
    path = tmp_path / "cadence.yml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


def test_the_defaults_keep_todays_cadence_and_the_documented_thresholds() -> None:
    rules = Rules()
    assert rules.cadence_policy == []
    assert (rules.trend_window_days, rules.trend_slipping_ratio, rules.trend_growing_ratio) == (90, 0.5, 1.5)
    assert rules.priority_high_overdue_ratio == 1.0
    assert rules.priority_high_trends == ["slipping"]
    assert rules.priority_high_top_potential_share == 0.2


def test_a_policy_loads_typed_and_travels_to_dbt_as_a_list(tmp_path: Path) -> None:
    rules = _load(
        tmp_path,
        "cadence_policy:\n"
        "  - {name: key_accounts, crm_status: [Customer - Direct, customer], cadence_days: 21}\n"
        "  - {name: top, potential_top_share: 0.2, status: [active], cadence_days: 30}\n"
        "  - {name: rest, cadence_days: 60}\n",
    )
    assert rules.cadence_policy == [
        CadencePolicyEntry(
            name="key_accounts", crm_status=["Customer - Direct", "customer"], cadence_days=21
        ),
        CadencePolicyEntry(name="top", potential_top_share=0.2, status=["active"], cadence_days=30),
        CadencePolicyEntry(name="rest", cadence_days=60),
    ]
    assert rules.dbt_vars()["cadence_policy"][2] == {
        "name": "rest", "cadence_days": 60, "status": None, "crm_status": None, "potential_top_share": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cadence_policy: [{name: top, potential_top_shares: 0.2, cadence_days: 30}]",
            "cadence_policy (item 1): unknown key 'potential_top_shares'; "
            "did you mean 'potential_top_share'?",
        ),
        (
            "cadence_policy: [{name: top, potential_top_share: 1.5, cadence_days: 30}]",
            "cadence_policy (item 1) potential_top_share: input should be less than or equal to 1, got 1.5",
        ),
        ("cadence_policy: [{name: top}]", "cadence_policy (item 1) cadence_days: field required"),
        (
            "cadence_policy: [{name: a, cadence_days: 3}, {name: a, cadence_days: 4}]",
            "cadence_policy: entry names must be unique, 'a' repeats",
        ),
        (
            "cadence_policy: [{name: a, cadence_days: 3, status: [customer]}]",
            "cadence_policy (item 1) status: input should be 'active' or 'prospect', got 'customer'",
        ),
        (
            "cadence_policy: [{name: Top Tier, cadence_days: 3}]",
            "cadence_policy (item 1) name: string should match pattern '^[a-z][a-z0-9_]*$', got 'Top Tier'",
        ),
        (
            "priority_high_trends: [slippin]",
            "priority_high_trends (item 1): input should be 'new', 'growing', 'steady', 'slipping', "
            "'lapsed' or 'none', got 'slippin'",
        ),
        ("trend_slipping_ratio: 1", "trend_slipping_ratio: input should be less than 1, got 1"),
        ("trend_growing_ratio: 0.9", "trend_growing_ratio: input should be greater than 1, got 0.9"),
    ],
)
def test_a_bad_value_is_refused_in_one_line_naming_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(RulesError) as raised:
        _load(tmp_path, text + "\n")
    assert str(raised.value) == f"{tmp_path / 'cadence.yml'}: {expected}"


def test_a_long_policy_cadence_widens_the_visit_window() -> None:
    """The HubSpot sync re-reads the companies of meetings within visit_window_days: a policy of 240
    days needs visits that old, as a 240-day default would."""
    policy = [CadencePolicyEntry(name="rest", cadence_days=240)]
    assert Rules(cadence_policy=policy).visit_window_days() == 240
    assert Rules().visit_window_days() == 180
