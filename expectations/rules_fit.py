"""Do the business rules fit the data? Every configured picklist value against the raw records.

A rule whose value matches no record is almost always a typo or a label where the API name belongs
(`Active Referral Source` vs `Active_Referral_Source`); the fix is the rules file, never the quality
gate override, so these messages name the rules key and the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ingest.warehouse import Warehouse
from orchestration.rules import Rules

# At most this share of a CRM's accounts out of scope before a value that matches nothing blocks:
# then the rules, not the org, decide that most accounts are not audited.
MIN_IN_SCOPE_SHARE = 0.5


@dataclass(frozen=True)
class PicklistRule:
    key: str  # the rules file key
    crm: str
    table: str  # raw table
    column: str  # raw column the values are compared with
    live: str  # SQL condition of a live (not deleted) record
    record: str  # how a message names one record, e.g. "Account has Type"
    status: bool = False  # an account-status rule (active / prospect)


_SF_LIVE = "not coalesce(is_deleted, false)"
_HS_LIVE = "not coalesce(archived, false)"
PICKLIST_RULES = (
    PicklistRule("salesforce_active_types", "salesforce", "raw_salesforce.account", "type", _SF_LIVE,
                 "Account has Type", status=True),
    PicklistRule("salesforce_prospect_types", "salesforce", "raw_salesforce.account", "type", _SF_LIVE,
                 "Account has Type", status=True),
    PicklistRule("salesforce_visit_event_types", "salesforce", "raw_salesforce.event", "type", _SF_LIVE,
                 "Event has Type"),
    PicklistRule("salesforce_visit_task_types", "salesforce", "raw_salesforce.task", "type", _SF_LIVE,
                 "Task has Type"),
    PicklistRule("salesforce_visit_task_statuses", "salesforce", "raw_salesforce.task", "status", _SF_LIVE,
                 "Task has Status"),
    PicklistRule("hubspot_active_lifecyclestages", "hubspot", "raw_hubspot.companies", "lifecyclestage",
                 _HS_LIVE, "company has lifecyclestage", status=True),
    PicklistRule("hubspot_prospect_lifecyclestages", "hubspot", "raw_hubspot.companies", "lifecyclestage",
                 _HS_LIVE, "company has lifecyclestage", status=True),
    PicklistRule("hubspot_excluded_meeting_outcomes", "hubspot", "raw_hubspot.meetings",
                 "hs_meeting_outcome", _HS_LIVE, "meeting has hs_meeting_outcome"),
)  # fmt: skip
STATUS_KEYS = {
    "salesforce": ("salesforce_active_types", "salesforce_prospect_types"),
    "hubspot": ("hubspot_active_lifecyclestages", "hubspot_prospect_lifecyclestages"),
}
COLUMNS = ["crm", "rule", "value", "records", "status_rule", "in_scope_share", "blocks", "message"]


def _value_counts(con: Warehouse, rule: PicklistRule) -> dict[str, int]:
    rows = con.execute(
        f"select {rule.column}, count(*) from {rule.table} where {rule.live} group by 1"
    ).fetchall()
    return {value: count for value, count in rows if value is not None}


def _in_scope_share(counts: dict[str, int], live_accounts: int, in_scope_values: set[str]) -> float:
    in_scope = sum(count for value, count in counts.items() if value in in_scope_values)
    return in_scope / live_accounts if live_accounts else 1.0


def _live_rows(con: Warehouse, rule: PicklistRule) -> int:
    row = con.execute(f"select count(*) from {rule.table} where {rule.live}").fetchone()
    return int(row[0]) if row else 0


def mismatch_message(rule: PicklistRule, value: str, label: str) -> str:
    return f"{rule.key}: no {rule.record} {value!r}; picklist values are API names, not labels, check {label}"


def rules_fit_frame(
    con: Warehouse, crms: Sequence[str], rules: Rules, label: str, tables: set[str]
) -> pd.DataFrame:
    """One row per configured picklist value of each configured CRM whose raw table exists."""
    rows = []
    for crm in crms:
        rules_of_crm = [r for r in PICKLIST_RULES if r.crm == crm and r.table in tables]
        counts = {rule.key: _value_counts(con, rule) for rule in rules_of_crm}
        status_rules = [r for r in rules_of_crm if r.status]
        share = 1.0
        if status_rules:
            in_scope = {value for key in STATUS_KEYS[crm] for value in getattr(rules, key)}
            accounts = status_rules[0]
            share = _in_scope_share(counts[accounts.key], _live_rows(con, accounts), in_scope)
        for rule in rules_of_crm:
            for value in getattr(rules, rule.key):
                records = counts[rule.key].get(value, 0)
                blocks = rule.status and records == 0 and share < MIN_IN_SCOPE_SHARE
                message = mismatch_message(rule, value, label) if records == 0 else ""
                rows.append((crm, rule.key, value, records, rule.status, round(share, 4), blocks, message))
    types = {"records": "int64", "status_rule": bool, "in_scope_share": "float64", "blocks": bool}
    return pd.DataFrame(rows, columns=COLUMNS).astype(types)


def mismatches(frame: pd.DataFrame, crm: str | None = None) -> list[str]:
    """The one-line messages of the values that match no record (of one CRM, or all)."""
    chosen = frame if crm is None else frame.loc[frame["crm"] == crm]
    return [message for message in chosen["message"] if message]
