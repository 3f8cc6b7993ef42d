"""`cadence doctor` on orgs whose picklists and rules disagree: exit 2 with the line naming the rule key
and the value; the org's values no rule lists are INFO with their record counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.sandbox import OrgStore, serve_sandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import salesforce_config
from orchestration.cli import main
from orchestration.doctor.report import Status
from orchestration.doctor.rules import _rule_values
from orchestration.doctor.run import run_doctor
from orchestration.rules import Rules

pytest.importorskip(
    "ingest.sandbox.salesforce.metadata",
    reason="the org file's picklists (salesforce._metadata) come with the sf-fidelity branch",
)


def salesforce_org(types: list[str | None], picklists: dict[tuple[str, str], list[Any]]) -> dict[str, Any]:
    """A generated Salesforce org whose accounts have `types`, with the given picklists declared."""
    document = generate_org(accounts=len(types), seed=7, junk=False, crms=("salesforce",))
    for account, kind in zip(document["salesforce"]["Account"], types, strict=True):
        account["Type"] = kind
    metadata = document["salesforce"]["_metadata"]
    for (sobject, field), values in picklists.items():
        metadata.setdefault(sobject, {}).setdefault("fields", {}).setdefault(field, {})["picklistValues"] = (
            values
        )
    return document


def test_a_rule_value_the_org_lacks_exits_2_naming_the_rule_key_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    types = ["Prospect", "Prospect", "Customer - Direct", "Partner", "Partner", None]
    org = tmp_path / "org.json"
    picklist = [
        "Prospect",
        "Customer - Direct",
        "Active Referral Source",
        "Partner",
    ]  # no 'Customer - Channel'
    org.write_bytes(orjson.dumps(salesforce_org(types, {("Account", "Type"): picklist})))
    assert main(["doctor", "--sandbox", "--org", str(org)]) == 2
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "error: BLOCKING salesforce salesforce_active_types: 'Customer - Channel' is not a value of "
        "Account.Type -- fix: list the org's API names in salesforce_active_types (picklist values are API "
        "names, not labels; the org has 'Prospect', 'Customer - Direct', 'Active Referral Source', "
        "'Partner'), or have an admin add 'Customer - Channel' to Account.Type"
    ]
    assert (
        "INFO     salesforce Account.Type: values no rule lists (out of scope: no cadence, no task), with "
        "their accounts: 'Partner' (2), no value (1)"
    ) in out.out.splitlines()
    assert out.out.splitlines()[-1].startswith(
        "verdict: NOT READY (salesforce, hubspot): 1 blocking problem(s)"
    )


def test_a_label_in_the_rules_and_a_written_status_the_org_lacks_are_blocking(tmp_path: Path) -> None:
    prospect = {
        "value": "Prospect",
        "label": "New prospect",
        "active": True,
        "defaultValue": False,
        "validFor": None,
    }
    picklists = {
        ("Account", "Type"): [prospect, "Customer - Direct", "Customer - Channel", "Active Referral Source"],
        ("Task", "Status"): ["Open", "Completed"],  # the writeback creates tasks as 'Not Started'
    }
    document = salesforce_org(["Prospect", "Customer - Direct"], picklists)
    rules = _rule_values(Rules(salesforce_prospect_types=["New prospect"]))
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        report = run_doctor({"salesforce": salesforce_config(running)}, rules)
    assert report.exit_code == 2
    assert [(c.name, c.message) for c in report.blocking] == [
        (
            "salesforce_prospect_types",
            "'New prospect' is not a value of Account.Type ('New prospect' is the label of 'Prospect')",
        ),
        (
            "Task.Status",
            "the writeback writes 'Not Started', which Task.Status lacks: task writes would fail",
        ),
    ]
    ok = {c.name: c.message for c in report.checks if c.status is Status.OK}
    assert ok["salesforce_active_types"] == "3 value(s), all in Account.Type"
