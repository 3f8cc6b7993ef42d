"""The rules file: defaults, overrides, one-line refusals, where it is found, and its one home."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.cli import main
from orchestration.rules import DBT_PROJECT_FILE, Rules, RulesError, dbt_vars_block, find_rules, load_rules

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str, name: str = "cadence.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_defaults_are_the_data_contract() -> None:
    rules = Rules()
    assert rules.salesforce_active_types == [
        "Active Referral Source",
        "Customer - Direct",
        "Customer - Channel",
    ]
    assert rules.salesforce_prospect_types == ["Prospect"]
    assert rules.hubspot_excluded_meeting_outcomes == ["CANCELED", "NO_SHOW"]
    assert (rules.default_cadence_days_active, rules.default_cadence_days_prospect) == (30, 30)
    assert (rules.due_soon_days, rules.planned_visit_grace_days, rules.graduation_visits) == (7, 14, 5)
    assert (rules.share_window_days, rules.referral_window_days) == (180, 365)
    assert rules.target_new_prospects_per_month == 5
    assert rules.timezone == "UTC"
    assert load_rules(None) == rules


def test_dbt_project_vars_are_generated_from_the_defaults() -> None:
    """dbt_project.yml's vars are dbt's fallback only; they must be the defaults, not a second copy."""
    project = yaml.safe_load(DBT_PROJECT_FILE.read_text())
    assert project["vars"] == {"as_of": "", **Rules().dbt_vars()}
    assert DBT_PROJECT_FILE.read_text().endswith(dbt_vars_block())  # `python -m orchestration.rules`


def test_a_valid_override_changes_only_what_it_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "default_cadence_days_active: 45\n"
        "salesforce_active_types: [Active_Referral_Source]\n"
        "timezone: America/Chicago\n",
    )
    rules = load_rules(path)
    assert rules.default_cadence_days_active == 45
    assert rules.salesforce_active_types == ["Active_Referral_Source"]
    assert rules.timezone == "America/Chicago"
    changed = {"default_cadence_days_active", "salesforce_active_types", "timezone"}
    assert rules.model_dump(exclude=changed) == Rules().model_dump(exclude=changed)
    assert load_rules(_write(tmp_path, "# nothing but a comment\n", "empty.yml")) == Rules()


def test_an_unknown_key_is_refused_with_the_likely_intended_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "salesforce_active_type: [Customer]\n")
    assert _refusal(path) == (
        f"{path}: unknown key 'salesforce_active_type'; did you mean 'salesforce_active_types'?"
    )
    far = _write(tmp_path, "colour: blue\n", "far.yml")
    assert _refusal(far) == f"{far}: unknown key 'colour'; see docs/rules.md for the keys"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("due_soon_days", "'7'", "input should be a valid integer, got '7'"),
        ("due_soon_days", "7.5", "input should be a valid integer, got 7.5"),
        ("salesforce_prospect_types", "Prospect", "input should be a valid list, got 'Prospect'"),
        ("salesforce_prospect_types", "[Prospect, 3]", "input should be a valid string, got 3"),
        ("default_cadence_days_active", "0", "input should be greater than 0, got 0"),
        ("timezone", "Mars/Olympus", "not an IANA time zone (e.g. 'America/Chicago'), got 'Mars/Olympus'"),
    ],
)
def test_a_wrong_type_is_refused_in_one_line_naming_the_key(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    path = _write(tmp_path, f"{key}: {value}\n")
    item = " (item 2)" if value.startswith("[") else ""
    assert _refusal(path) == f"{path}: {key}{item}: {expected}"


def test_not_yaml_or_not_a_mapping_is_one_line(tmp_path: Path) -> None:
    broken = _write(tmp_path, "due_soon_days: [7\n")
    assert _refusal(broken).startswith(f"{broken}: not valid YAML at line 2: ")
    listed = _write(tmp_path, "- due_soon_days\n", "list.yml")
    assert _refusal(listed) == f"{listed}: expected 'key: value' lines (a mapping), got a list"


def test_where_the_file_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CADENCE_RULES", raising=False)
    assert find_rules() == Rules()  # nothing anywhere: the defaults
    _write(tmp_path, "due_soon_days: 3\n")
    assert find_rules().due_soon_days == 3  # ./cadence.yml
    env = _write(tmp_path, "due_soon_days: 4\n", "env.yml")
    monkeypatch.setenv("CADENCE_RULES", str(env))
    assert find_rules().due_soon_days == 4  # $CADENCE_RULES beats ./cadence.yml
    flag = _write(tmp_path, "due_soon_days: 5\n", "flag.yml")
    assert find_rules(flag).due_soon_days == 5  # --rules beats both
    monkeypatch.setenv("CADENCE_RULES", str(tmp_path / "gone.yml"))
    with pytest.raises(RulesError, match=r"gone.yml \(CADENCE_RULES\) not found; copy cadence.example.yml"):
        find_rules()


def test_the_shipped_example_is_valid_and_documents_every_rule() -> None:
    example = ROOT / "cadence.example.yml"
    assert load_rules(example) == Rules()  # every key, set to its default
    assert set(yaml.safe_load(example.read_text())) == set(Rules.model_fields)
    for doc in ("rules.md", "data-contract.md"):
        text = (ROOT / "docs" / doc).read_text()
        assert [key for key in Rules.model_fields if f"`{key}`" not in text] == [], doc
    # A cadence.yml at the root would be picked up by every run (and test) started in the checkout.
    assert not (ROOT / "cadence.yml").exists(), "move cadence.yml out of the checkout (or use CADENCE_RULES)"


@pytest.mark.parametrize("command", [["run"], ["demo", "--org", "missing.json"], ["report"]])
def test_the_cli_exits_2_on_a_bad_rules_file_before_any_work(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "salesforce_active_type: [Customer]\n")
    warehouse = tmp_path / "never.duckdb"
    code = main([*command, "--rules", str(path), "--warehouse", str(warehouse)])
    error = capsys.readouterr().err
    assert code == 2
    assert error == (
        f"error: {path}: unknown key 'salesforce_active_type'; did you mean 'salesforce_active_types'?\n"
    )
    assert not warehouse.exists()
