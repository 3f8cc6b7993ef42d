"""`cadence doctor` against a HubSpot portal: read-only calls only (properties, owners, search).
Each check answers one line; a failing call becomes that check's BLOCKING line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ingest.config import HubSpotConfig
from ingest.hubspot.helpers import HubSpotClient
from ingest.hubspot.settings import OBJECTS, ObjectSpec
from orchestration.doctor.picklists import OrgPicklist, rule_checks, unmapped_check, written_check
from orchestration.doctor.report import Check, Status, budget_check, guarded, login_checks
from orchestration.doctor.rules import RuleValues, picklist_fields
from orchestration.writeback.hubspot import CLOSED_STATUS, NEW_STATUS, PRIORITIES

CRM = "hubspot"
TASK_KEY_COLUMN = "cadence_task_key"  # the settings' column; the portal's property name is configurable
# The task properties the writeback sets (orchestration/writeback/hubspot.py, _new_task and close).
WRITTEN_TASK_PROPERTIES = (
    "hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority", "hs_timestamp",
    "hubspot_owner_id",
)  # fmt: skip
WRITTEN_TASK_VALUES = {
    "hs_task_status": (NEW_STATUS, CLOSED_STATUS),
    "hs_task_priority": tuple(PRIORITIES.values()),
}
MAX_NOT_IN_VALUES = 100  # HubSpot's search takes at most 100 values in an IN / NOT_IN filter
SCOPES = "the private app's crm.schemas.{object}.read scope"


@dataclass
class _Portal:
    client: HubSpotClient
    properties: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def props(self, object_type: str) -> dict[str, dict[str, Any]]:
        if object_type not in self.properties:
            answer = self.client.request("GET", f"/crm/v3/properties/{object_type}")
            self.properties[object_type] = {p["name"]: p for p in answer.get("results", [])}
        return self.properties[object_type]

    def total(self, object_type: str, filters: list[dict[str, Any]]) -> int:
        body = {"filterGroups": [{"filters": filters}], "limit": 1, "properties": ["hs_object_id"]}
        return int(self.client.search(object_type, body).get("total", 0))


def hubspot_checks(config: HubSpotConfig, rules: RuleValues) -> list[Check]:
    # A few attempts: the counting searches may meet the portal's 5-per-second search limit (429).
    client = HubSpotClient(config, retry_base_seconds=0.2, max_attempts=4)
    try:
        login = _login(client, config)
        if login[-1].status is Status.BLOCKING:
            return login
        portal = _Portal(client)
        checks = [*login]
        for name, check in _CHECKS:
            checks.extend(guarded(CRM, name, lambda check=check: check(portal, config, rules)))
        return checks
    finally:
        client.close()


def _login(client: HubSpotClient, config: HubSpotConfig) -> list[Check]:
    def log_in() -> str:
        client.request("GET", "/crm/v3/owners", params={"limit": 1})
        return "the private app token is accepted"

    checks = login_checks(CRM, config.base_url, log_in)
    if checks[-1].status is Status.BLOCKING:
        return checks
    version = "CRM API v3 (objects, properties, search, owners), v4 associations"
    return [*checks, Check(CRM, "API version", Status.OK, version)]


def _api_budget(portal: _Portal, config: HubSpotConfig, rules: RuleValues) -> list[Check]:
    portal.props("companies")  # a non-search call: HubSpot puts its rate-limit headers on those
    headers = portal.client.last_headers
    daily, left = headers.get("X-HubSpot-RateLimit-Daily"), headers.get("X-HubSpot-RateLimit-Daily-Remaining")
    if daily is None or left is None:
        message = "the portal sent no X-HubSpot-RateLimit-Daily headers: the daily budget cannot be read"
        return [Check(CRM, "API budget", Status.INFO, message)]
    allowance, remaining = int(daily), int(left)
    message = f"{allowance - remaining:,} used, {remaining:,} of {allowance:,} daily API calls left"
    fix = "run the sync after the daily reset (midnight in the portal's time zone)"
    return [budget_check(CRM, message, allowance, remaining, fix)]


def _properties(portal: _Portal, config: HubSpotConfig, rules: RuleValues) -> list[Check]:
    checks: list[Check] = []
    for spec in OBJECTS.values():
        checks.extend(_object_properties(portal, spec, config.task_key_property))
    checks.extend(_written_properties(portal))
    return checks


def _object_properties(portal: _Portal, spec: ObjectSpec, task_key: str) -> list[Check]:
    present = portal.props(spec.name)
    wanted = [task_key if column == TASK_KEY_COLUMN else column for column in spec.columns]
    checks = []
    for name in wanted:
        if name == task_key and spec.name == "tasks":
            checks.append(_task_key(present.get(name), name))
        elif name not in present and name in spec.optional:
            message = f"optional {spec.name}.{name} is absent: it loads as null"
            fix = f"create the custom property {name} on {spec.name} if you want it read"
            checks.append(Check(CRM, f"{spec.name} properties", Status.WARN, message, fix))
        elif name not in present:
            checks.append(
                Check(
                    CRM,
                    f"{spec.name} properties",
                    Status.BLOCKING,
                    f"{spec.name}.{name} is missing or not visible to the private app",
                    f"grant {SCOPES.format(object=spec.name)}, or restore the property",
                )
            )
    summary = f"{sum(n in present for n in wanted)} of {len(wanted)} properties present and visible"
    return [Check(CRM, f"{spec.name} properties", Status.OK, summary), *checks]


def _task_key(described: dict[str, Any] | None, name: str) -> Check:
    add = (
        f"an admin creates a single-line text property {name} on tasks, with 'Require unique values for "
        "this property' (hasUniqueValue) where the portal offers it"
    )
    if described is None:
        message = f"tasks.{name} is missing: the task key rides in the task body's last line instead"
        return Check(CRM, "task key property", Status.WARN, message, add)
    if not described.get("hasUniqueValue"):
        message = f"tasks.{name} does not require unique values: duplicates are possible"
        return Check(CRM, "task key property", Status.WARN, message, add)
    return Check(CRM, "task key property", Status.OK, f"tasks.{name} requires unique values")


def _written_properties(portal: _Portal) -> list[Check]:
    present = portal.props("tasks")
    refused = [
        name
        for name in WRITTEN_TASK_PROPERTIES
        if name in present and (present[name].get("modificationMetadata") or {}).get("readOnlyValue")
    ]
    if not refused:
        message = f"the private app can write {len(WRITTEN_TASK_PROPERTIES)} task properties"
        return [Check(CRM, "task writes", Status.OK, message)]
    return [
        Check(
            CRM,
            "task writes",
            Status.BLOCKING,
            f"read-only task properties: {', '.join(refused)}",
            "grant the private app the crm.objects.tasks.write scope",  # hypothetical read-only: scopes
        )
    ]


def _picklists(portal: _Portal, config: HubSpotConfig, rules: RuleValues) -> list[Check]:
    checks: list[Check] = []
    for object_type, name in picklist_fields(CRM):
        picklist = _picklist(portal, object_type, name)
        checks.extend(rule_checks(picklist, rules))
        count = partial(_value_counts, portal, picklist, rules)
        if (found := unmapped_check(picklist, rules, count, object_type)) is not None:
            checks.append(found)
    for name, written in WRITTEN_TASK_VALUES.items():
        checks.append(written_check(_picklist(portal, "tasks", name), written))
    return checks


def _picklist(portal: _Portal, object_type: str, name: str) -> OrgPicklist:
    options = [
        o for o in (portal.props(object_type).get(name) or {}).get("options") or [] if not o.get("hidden")
    ]
    values = tuple(option["value"] for option in options)
    labels = {option.get("label") or option["value"]: option["value"] for option in options}
    return OrgPicklist(CRM, object_type, name, values, labels)


def _value_counts(portal: _Portal, picklist: OrgPicklist, rules: RuleValues) -> dict[str | None, int]:
    """Search totals of the options no rule lists (one search each), and of records without a value."""
    mapped = {v for key, values in rules.items() if key.startswith(CRM) for v in values}
    counts: dict[str | None, int] = {
        value: portal.total(picklist.sobject, [_filter(picklist.field, "EQ", value)])
        for value in picklist.values
        if value not in mapped
    }
    counts[None] = portal.total(
        picklist.sobject, [{"propertyName": picklist.field, "operator": "NOT_HAS_PROPERTY"}]
    )
    return counts


def _filter(name: str, operator: str, value: Any) -> dict[str, Any]:
    key = "values" if isinstance(value, list) else "value"
    return {"propertyName": name, "operator": operator, key: value}


def _owners(portal: _Portal, config: HubSpotConfig, rules: RuleValues) -> list[Check]:
    in_scope = [*rules["hubspot_active_lifecyclestages"], *rules["hubspot_prospect_lifecyclestages"]]
    owners = [str(o["id"]) for page in portal.client.list_pages("/crm/v3/owners", {}) for o in page]
    scope = _filter("lifecyclestage", "IN", in_scope)
    unowned = portal.total(
        "companies", [scope, {"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}]
    )
    checks = []
    if unowned:
        message = f"{unowned:,} in-scope companies have no owner: they get no overdue-visit task"
        checks.append(
            Check(CRM, "owners", Status.WARN, message, "assign an owner (hubspot_owner_id) to them")
        )
    if len(owners) > MAX_NOT_IN_VALUES:
        message = f"{len(owners)} owners: more than a search can exclude, so stray owner ids were not counted"
        return [*checks, Check(CRM, "owners", Status.INFO, message)]
    has_owner = {"propertyName": "hubspot_owner_id", "operator": "HAS_PROPERTY"}
    not_an_owner = [_filter("hubspot_owner_id", "NOT_IN", owners)] if owners else []  # NOT_IN needs values
    stray = portal.total("companies", [scope, has_owner, *not_an_owner])
    if stray:
        message = (
            f"{stray:,} in-scope companies have a hubspot_owner_id that is not among the portal's "
            f"{len(owners)} owners"
        )
        fix = "reassign them to current owners (a deactivated user's companies keep the old id)"
        return [*checks, Check(CRM, "owners", Status.WARN, message, fix)]
    return [
        *checks,
        Check(
            CRM, "owners", Status.OK, f"every owned in-scope company's owner is one of {len(owners)} owners"
        ),
    ]


_CHECKS: tuple[tuple[str, Callable[[_Portal, HubSpotConfig, RuleValues], list[Check]]], ...] = (
    ("API budget", _api_budget),
    ("properties", _properties),
    ("picklists", _picklists),
    ("owners", _owners),
)
