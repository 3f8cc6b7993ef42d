"""The doctor's rules source (one function) and its CRM-neutral picklist comparison, on hand-made values."""

from __future__ import annotations

from datetime import date

from ingest.errors import CadenceError
from orchestration.doctor.hubspot import WRITTEN_TASK_PROPERTIES
from orchestration.doctor.picklists import OrgPicklist, rule_checks, unmapped_check, written_check
from orchestration.doctor.report import Status
from orchestration.doctor.rules import PICKLIST_RULES, _rule_values
from orchestration.doctor.salesforce import WRITTEN_TASK_FIELDS
from orchestration.rules import PICKLIST_FIELDS, Rules
from orchestration.writeback.actions import TaskAction
from orchestration.writeback.hubspot import HubSpotTaskWriter
from orchestration.writeback.salesforce import SalesforceTaskWriter

ACCOUNT_TYPE = OrgPicklist(
    "salesforce",
    "Account",
    "Type",
    ("Prospect", "Customer - Direct", "Active Referral Source", "Partner"),
    {"Prospect": "Prospect", "Customer (direct)": "Customer - Direct", "Referral": "Active Referral Source"},
)


def rules(**overrides: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {**_rule_values(), **overrides}


def test_rule_values_come_from_the_rules_model_or_a_mapping() -> None:
    defaults = _rule_values()
    assert defaults["salesforce_prospect_types"] == ("Prospect",)
    assert defaults == {rule.key: tuple(getattr(Rules(), rule.key)) for rule in PICKLIST_RULES}
    assert {rule.key for rule in PICKLIST_RULES} == PICKLIST_FIELDS.keys()  # every picklist rule is checked
    assert _rule_values(Rules(salesforce_prospect_types=["Lead"]))["salesforce_prospect_types"] == ("Lead",)
    mapping = {**Rules().model_dump(), "hubspot_excluded_meeting_outcomes": []}
    assert _rule_values(mapping)["hubspot_excluded_meeting_outcomes"] == ()


def test_a_rule_value_the_org_lacks_is_blocking_and_names_the_rule_key_and_value() -> None:
    checks = rule_checks(
        ACCOUNT_TYPE, rules(salesforce_active_types=("Customer (direct)", "customer - direct"))
    )
    assert [(c.name, c.status) for c in checks] == [
        ("salesforce_active_types", Status.BLOCKING),
        ("salesforce_active_types", Status.BLOCKING),
        ("salesforce_prospect_types", Status.OK),
    ]
    assert checks[0].line() == (
        "BLOCKING salesforce salesforce_active_types: 'Customer (direct)' is not a value of Account.Type "
        "('Customer (direct)' is the label of 'Customer - Direct') -- fix: list the org's API names in "
        "salesforce_active_types (picklist values are API names, not labels; the org has 'Prospect', "
        "'Customer - Direct', 'Active Referral Source', 'Partner'), or have an admin add 'Customer (direct)' "
        "to Account.Type"
    )
    assert "(the org's value is 'Customer - Direct': values are case-sensitive)" in checks[1].message
    assert (
        checks[2].line() == "OK       salesforce salesforce_prospect_types: 1 value(s), all in Account.Type"
    )


def test_org_values_no_rule_lists_are_info_with_counts_including_no_value() -> None:
    counts = {"Prospect": 7, "Partner": 3, "Vendor": 2, None: 4}  # 'Vendor' is in the data only
    check = unmapped_check(
        ACCOUNT_TYPE, rules(salesforce_active_types=("Customer - Direct",)), lambda: counts, "accounts"
    )
    assert check is not None and check.status is Status.INFO
    assert check.message == (
        "values no rule lists (out of scope: no cadence, no task), with their accounts: "
        "'Active Referral Source' (0), 'Partner' (3), 'Vendor' (2), no value (4)"
    )
    everything = rules(salesforce_active_types=("Customer - Direct", "Active Referral Source", "Partner"))
    assert unmapped_check(ACCOUNT_TYPE, everything, lambda: {"Prospect": 1}, "accounts") is None


def test_values_the_writeback_writes_must_exist_and_an_undeclared_picklist_is_a_warning() -> None:
    status = OrgPicklist("salesforce", "Task", "Status", ("Open", "Completed"))
    check = written_check(status, ("Not Started", "Completed"))
    assert check.status is Status.BLOCKING
    assert (
        check.message == "the writeback writes 'Not Started', which Task.Status lacks: task writes would fail"
    )
    assert written_check(status, ("Completed",)).status is Status.OK
    undeclared = rule_checks(OrgPicklist("salesforce", "Event", "Type", ()), rules())
    assert [c.status for c in undeclared] == [Status.WARN]
    assert "salesforce_visit_event_types cannot be checked" in undeclared[0].message


def test_the_doctor_checks_every_task_field_the_writeback_writes() -> None:
    action = TaskAction(
        "salesforce:001A:2026-01-01", "create", "salesforce", "001A", "salesforce:001A", "005A",
        "Overdue visit", date(2026, 1, 1), 3, "High", None,
    )  # fmt: skip
    salesforce = SalesforceTaskWriter.__new__(SalesforceTaskWriter)  # no org: only the record shape
    salesforce.task_key_field = None
    assert set(salesforce._new_task(action)) - {"attributes"} == set(WRITTEN_TASK_FIELDS)
    hubspot = HubSpotTaskWriter.__new__(HubSpotTaskWriter)
    hubspot.task_key_property = None
    assert set(hubspot._new_task(action)["properties"]) == set(WRITTEN_TASK_PROPERTIES)


def test_counts_that_cannot_be_fetched_are_a_warning_not_a_blocker() -> None:
    def timed_out() -> dict[str | None, int]:
        raise CadenceError(
            "Salesforce failed query (HTTP 400 QUERY_TIMEOUT: Your query request was running too long)"
        )

    check = unmapped_check(ACCOUNT_TYPE, rules(), timed_out, "accounts")
    assert check is not None and check.status is Status.WARN
    assert check.message.startswith("record counts per value unavailable: Salesforce failed query")
