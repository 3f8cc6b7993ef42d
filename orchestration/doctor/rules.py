"""The business rules the doctor checks against the org's picklists, and the CRM field each one reads.

The values come through ONE function, `_rule_values()`, from the rules model (`orchestration.rules`,
the validated rules file) or any mapping with the same keys; by default the built-in rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RuleValues = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class PicklistRule:
    key: str  # the rule's (and dbt var's) name
    crm: str
    sobject: str  # Salesforce sobject or HubSpot object type
    field: str  # Salesforce field or HubSpot property
    meaning: str  # what a value listed in this rule means, for messages


PICKLIST_RULES: tuple[PicklistRule, ...] = (
    PicklistRule("salesforce_active_types", "salesforce", "Account", "Type", "status 'active'"),
    PicklistRule("salesforce_prospect_types", "salesforce", "Account", "Type", "status 'prospect'"),
    PicklistRule("salesforce_visit_event_types", "salesforce", "Event", "Type", "the event is a visit"),
    PicklistRule("salesforce_visit_task_types", "salesforce", "Task", "Type", "the task is a visit"),
    PicklistRule("salesforce_visit_task_statuses", "salesforce", "Task", "Status", "the visit task is done"),
    PicklistRule(
        "hubspot_active_lifecyclestages", "hubspot", "companies", "lifecyclestage", "status 'active'"
    ),
    PicklistRule("hubspot_prospect_lifecyclestages", "hubspot", "companies", "lifecyclestage", "'prospect'"),
    PicklistRule(
        "hubspot_excluded_meeting_outcomes", "hubspot", "meetings", "hs_meeting_outcome", "not a visit"
    ),
)

# What an org value no rule lists means, per field (for the INFO line on unmapped values).
UNMAPPED_MEANING = {
    ("Account", "Type"): "out of scope: no cadence, no task",
    ("Event", "Type"): "not a visit",
    ("Task", "Type"): "not a visit",
    ("Task", "Status"): "a visit task with it does not count as a visit",
    ("companies", "lifecyclestage"): "out of scope: no cadence, no task",
    ("meetings", "hs_meeting_outcome"): "the meeting counts as a visit",
}


def _rule_values(rules: Mapping[str, Any] | object | None = None) -> RuleValues:
    """The picklist rules' values by key, from the rules model or a mapping (None: the built-in rules)."""
    if rules is None:
        from orchestration.rules import Rules

        rules = Rules()
    if isinstance(rules, Mapping):
        return {rule.key: tuple(rules[rule.key]) for rule in PICKLIST_RULES}
    return {rule.key: tuple(getattr(rules, rule.key)) for rule in PICKLIST_RULES}


def rules_for(crm: str, sobject: str, field: str) -> list[PicklistRule]:
    return [r for r in PICKLIST_RULES if (r.crm, r.sobject, r.field) == (crm, sobject, field)]


def picklist_fields(crm: str) -> list[tuple[str, str]]:
    """The (object, field) pairs of this CRM that rules map, in rule order."""
    return list(dict.fromkeys((r.sobject, r.field) for r in PICKLIST_RULES if r.crm == crm))
