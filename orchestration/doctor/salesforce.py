"""`cadence doctor` against a Salesforce org: read-only calls only (token, versions, limits, describe,
SOQL). Each check answers one line; a failing call becomes that check's BLOCKING line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ingest.config import SalesforceConfig
from ingest.errors import CadenceError
from ingest.salesforce.helpers import RetryPolicy, SalesforceClient
from ingest.salesforce.settings import SalesforceObject, resolve_objects
from orchestration.doctor.picklists import OrgPicklist, rule_checks, unmapped_check, written_check
from orchestration.doctor.report import Check, Status, budget_check, guarded, login_checks
from orchestration.doctor.rules import RuleValues, picklist_fields
from orchestration.writeback.hubspot import PRIORITIES
from orchestration.writeback.salesforce import CLOSED_STATUS, NEW_STATUS, _soql_list

CRM = "salesforce"
DOCTOR_RETRY = RetryPolicy(tries=2, base_seconds=0.2, max_seconds=2.0)  # answer fast, don't wait out outages
# The Task fields the writeback sets (orchestration/writeback/salesforce.py, _new_task and close).
WRITTEN_TASK_FIELDS = ("WhatId", "OwnerId", "Subject", "ActivityDate", "Priority", "Status", "Description")
WRITTEN_TASK_VALUES = {"Status": (NEW_STATUS, CLOSED_STATUS), "Priority": tuple(PRIORITIES)}
BUDGET_FIX = "run the sync later (the allowance is a rolling 24 h) or raise the org's API allocation"
FLS = "Setup > Object Manager > {object} > Fields & Relationships > {field} > Set Field-Level Security"


@dataclass
class _Org:
    """The org as the integration user sees it; describes are fetched once per object."""

    client: SalesforceClient
    describes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def fields(self, sobject: str) -> dict[str, dict[str, Any]]:
        if sobject not in self.describes:
            described = self.client.call(lambda sf: sf.restful(f"sobjects/{sobject}/describe"))
            self.describes[sobject] = {f["name"]: f for f in described.get("fields", [])}
        return self.describes[sobject]

    def query(self, soql: str) -> list[dict[str, Any]]:
        return self.client.call(lambda sf: sf.query_all(soql))["records"]


def salesforce_checks(config: SalesforceConfig, rules: RuleValues) -> list[Check]:
    client = SalesforceClient(config, DOCTOR_RETRY)
    login = _login(client, config)
    if login[-1].status is Status.BLOCKING:
        return login
    org = _Org(client)
    checks = [*login]
    for name, check in _CHECKS:
        checks.extend(guarded(CRM, name, lambda check=check: check(org, config, rules)))
    return checks


def _login(client: SalesforceClient, config: SalesforceConfig) -> list[Check]:
    def log_in() -> str:
        client.authenticate()
        return f"logged in ({_grant(config)}) at {client.sf.sf_instance}"

    return login_checks(CRM, config.login_url, log_in)


def _grant(config: SalesforceConfig) -> str:
    return "password grant" if config.username else "client-credentials grant"


def _api_version(org: _Org, config: SalesforceConfig, rules: RuleValues) -> list[Check]:
    def versions(sf: Any) -> list[dict[str, Any]]:
        return sf._call_salesforce("GET", f"https://{sf.sf_instance}/services/data/").json()

    offered = [v["version"] for v in org.client.call(versions)]
    latest = max(offered, key=lambda v: tuple(int(p) for p in v.split(".")))
    if config.api_version in offered:
        return [
            Check(CRM, "API version", Status.OK, f"v{config.api_version} (the org offers up to v{latest})")
        ]
    return [
        Check(
            CRM,
            "API version",
            Status.BLOCKING,
            f"v{config.api_version} is not offered by the org (it offers v{offered[0]} to v{latest})",
            f"set SOURCES__SALESFORCE__API_VERSION to {latest}",
        )
    ]


def _api_budget(org: _Org, config: SalesforceConfig, rules: RuleValues) -> list[Check]:
    """`limits/` needs 'View Setup and Configuration'; without it, every response's header still tells."""
    try:
        daily = org.client.call(lambda sf: sf.limits())["DailyApiRequests"]
    except CadenceError as error:
        usage = org.client.sf.api_usage.get("api-usage")  # from an earlier response of this session
        if usage is None:
            raise
        message = f"limits/ refused ({error}); Sforce-Limit-Info says {usage.used:,} of {usage.total:,} used"
        return [budget_check(CRM, message, usage.total, usage.total - usage.used, BUDGET_FIX)]
    allowance, remaining = int(daily["Max"]), int(daily["Remaining"])
    usage = org.client.sf.api_usage.get("api-usage")
    header = f" (Sforce-Limit-Info api-usage={usage.used}/{usage.total})" if usage else ""
    message = (
        f"{allowance - remaining:,} used, {remaining:,} of {allowance:,} daily API requests left{header}"
    )
    return [budget_check(CRM, message, allowance, remaining, BUDGET_FIX)]


def _fields(org: _Org, config: SalesforceConfig, rules: RuleValues) -> list[Check]:
    checks: list[Check] = []
    for sobject in resolve_objects(task_key_field=config.task_key_field):
        checks.extend(_object_fields(org, sobject, config.task_key_field))
    checks.extend(_written_fields(org))
    return checks


def _object_fields(org: _Org, sobject: SalesforceObject, task_key_field: str) -> list[Check]:
    present = org.fields(sobject.name)
    checks = []
    for wanted in sobject.fields:
        if wanted.api_name == task_key_field:
            checks.append(_task_key(present.get(task_key_field), task_key_field))
        elif wanted.api_name not in present and wanted.required:
            checks.append(_missing(sobject.name, wanted.api_name))
        elif wanted.api_name not in present:
            message = f"optional {sobject.name}.{wanted.api_name} is absent: it loads as null"
            fix = f"create the {wanted.type} field {wanted.api_name} on {sobject.name} if you want it read"
            checks.append(Check(CRM, f"{sobject.name} fields", Status.WARN, message, fix))
    read = sum(f.api_name in present for f in sobject.fields)
    summary = f"{read} of {len(sobject.fields)} fields present and visible to the integration user"
    return [Check(CRM, f"{sobject.name} fields", Status.OK, summary), *checks]


def _missing(sobject: str, name: str) -> Check:
    return Check(
        CRM,
        f"{sobject} fields",
        Status.BLOCKING,
        f"{sobject}.{name} is missing or not visible to the integration user",
        f"grant the integration user read access ({FLS.format(object=sobject, field=name)})",
    )


def _task_key(described: dict[str, Any] | None, name: str) -> Check:
    """The writeback's idempotency key: recommended as a unique External ID (an indexed lookup)."""
    add = (
        f"an admin adds a Text(255) custom field {name} on Activity (Task), with 'External ID' and "
        "'Unique' ticked, visible and editable for the integration user"
    )
    if described is None:
        message = f"Task.{name} is missing: the task key rides in the Description's last line instead"
        return Check(CRM, "task key field", Status.WARN, message, add)
    flags = [flag for flag in ("externalId", "unique") if not described.get(flag)]
    if flags:
        message = f"Task.{name} is not {' + '.join(flags)}: duplicates are possible and lookups unindexed"
        fix = f"an admin ticks {' and '.join(_FLAG_LABELS[f] for f in flags)} on Activity field {name}"
        return Check(CRM, "task key field", Status.WARN, message, fix)
    return Check(CRM, "task key field", Status.OK, f"Task.{name} is a unique External ID")


_FLAG_LABELS = {"externalId": "'External ID'", "unique": "'Unique'"}


def _written_fields(org: _Org) -> list[Check]:
    present = org.fields("Task")
    refused = [
        name
        for name in WRITTEN_TASK_FIELDS
        if name in present and not (present[name].get("createable") and present[name].get("updateable"))
    ]
    if not refused:
        return [
            Check(
                CRM,
                "Task writes",
                Status.OK,
                f"the integration user can write {len(WRITTEN_TASK_FIELDS)} fields",
            )
        ]
    return [
        Check(
            CRM,
            "Task writes",
            Status.BLOCKING,
            f"the integration user cannot create/edit Task.{', Task.'.join(refused)}",
            f"grant edit access ({FLS.format(object='Activity', field=refused[0])})",
        )
    ]


def _picklists(org: _Org, config: SalesforceConfig, rules: RuleValues) -> list[Check]:
    checks: list[Check] = []
    for sobject, name in picklist_fields(CRM):
        picklist = _picklist(org, sobject, name)
        checks.extend(rule_checks(picklist, rules))
        count = partial(_value_counts, org, sobject, name)
        if (found := unmapped_check(picklist, rules, count, f"{sobject.lower()}s")) is not None:
            checks.append(found)
    for name, written in WRITTEN_TASK_VALUES.items():
        checks.append(written_check(_picklist(org, "Task", name), written))
    return checks


def _picklist(org: _Org, sobject: str, name: str) -> OrgPicklist:
    described = org.fields(sobject).get(name) or {}
    active = [entry for entry in described.get("picklistValues") or [] if entry.get("active", True)]
    values = tuple(entry["value"] for entry in active)
    labels = {entry.get("label") or entry["value"]: entry["value"] for entry in active}
    return OrgPicklist(CRM, sobject, name, values, labels)


def _value_counts(org: _Org, sobject: str, name: str) -> dict[str | None, int]:
    rows = org.query(f"SELECT {name}, COUNT(Id) FROM {sobject} GROUP BY {name}")
    return {row[name]: int(row["expr0"]) for row in rows}


def _owners(org: _Org, config: SalesforceConfig, rules: RuleValues) -> list[Check]:
    in_scope = [*rules["salesforce_active_types"], *rules["salesforce_prospect_types"]]
    soql = f"SELECT OwnerId, COUNT(Id) FROM Account WHERE Type IN ({_soql_list(in_scope)}) GROUP BY OwnerId"
    per_owner = {row["OwnerId"]: int(row["expr0"]) for row in org.query(soql)}
    checks = []
    if unowned := per_owner.pop(None, 0):
        message = f"{unowned:,} in-scope accounts have no owner: they get no overdue-visit task"
        checks.append(Check(CRM, "owners", Status.WARN, message, "assign an owner (OwnerId) to them"))
    active = {row["Id"] for row in org.query("SELECT Id FROM User WHERE IsActive = true")}
    stray = {owner: n for owner, n in per_owner.items() if owner not in active}
    if not stray:
        owned = sum(per_owner.values())
        message = f"all {owned:,} owned in-scope accounts belong to {len(per_owner)} active users"
        return [*checks, Check(CRM, "owners", Status.OK, message)]
    listed = ", ".join(f"{owner} ({n:,})" for owner, n in sorted(stray.items(), key=lambda kv: -kv[1])[:5])
    message = (
        f"{sum(stray.values()):,} in-scope accounts are owned by {len(stray)} user(s) that are not active "
        f"Users: {listed}; their overdue-visit tasks would go to inactive users"
    )
    fix = "reassign those accounts to active reps, or reactivate the users"
    return [*checks, Check(CRM, "owners", Status.WARN, message, fix)]


_CHECKS: tuple[tuple[str, Callable[[_Org, SalesforceConfig, RuleValues], list[Check]]], ...] = (
    ("API version", _api_version),
    ("API budget", _api_budget),
    ("fields", _fields),
    ("picklists", _picklists),
    ("owners", _owners),
)
