"""`cadence doctor` on a portal whose enumeration options and rules disagree (HubSpot property `options`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sandbox import OrgStore, serve_sandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import hubspot_config
from orchestration.doctor.rules import _rule_values
from orchestration.doctor.run import run_doctor
from orchestration.rules import Rules

pytest.importorskip(
    "ingest.sandbox.hubspot.behaviour",
    reason="property options from the org file (hubspot._metadata) come with the hs-fidelity branch",
)


def test_a_label_in_the_rules_is_blocking_and_an_extra_option_is_counted(tmp_path: Path) -> None:
    document = generate_org(accounts=4, seed=7, junk=False, crms=("hubspot",))
    stages = ["customer", "churned", "churned", "lead"]
    for company, stage in zip(document["hubspot"]["companies"], stages, strict=True):
        company["properties"]["lifecyclestage"] = stage
    churned = {"label": "Churned", "value": "churned"}
    document["hubspot"]["_metadata"] = {
        "companies": {"properties": {"lifecyclestage": {"options": [churned]}}}
    }
    rules = _rule_values(Rules(hubspot_active_lifecyclestages=["Customer", "evangelist"]))
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        report = run_doctor({"hubspot": hubspot_config(running)}, rules)
    assert report.exit_code == 2
    assert [c.line() for c in report.blocking] == [
        "BLOCKING hubspot hubspot_active_lifecyclestages: 'Customer' is not a value of "
        "companies.lifecyclestage ('Customer' is the label of 'customer') -- fix: list the org's API "
        "names in hubspot_active_lifecyclestages (picklist values are API names, not labels; the org has "
        "'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', "
        "'evangelist', 'other', 'churned'), or have an admin add 'Customer' to companies.lifecyclestage"
    ]
    unmapped = [c.message for c in report.checks if c.name == "companies.lifecyclestage"]
    assert unmapped == [
        "values no rule lists (out of scope: no cadence, no task), with their companies: 'subscriber' (0), "
        "'customer' (1), 'other' (0), 'churned' (2)"
    ]
