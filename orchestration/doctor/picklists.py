"""Rules against the org's picklists, CRM-neutral: the values a rule lists must be the org's API names.

A value the org lacks is BLOCKING: the marts compare values exactly, so a rule value that never
occurs silently drops accounts out of scope (or visits out of the count). The org's values no rule
lists are INFO, with their record counts, so an admin sees what the rules leave out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ingest.errors import CadenceError
from orchestration.doctor.report import Check, Status
from orchestration.doctor.rules import UNMAPPED_MEANING, RuleValues, rules_for

API_NAMES = "picklist values are API names, not labels"


@dataclass(frozen=True)
class OrgPicklist:
    crm: str
    sobject: str
    field: str
    values: tuple[str, ...]  # the active values' API names, in the org's order
    labels: Mapping[str, str] = field(default_factory=dict)  # label -> API name

    @property
    def name(self) -> str:
        return f"{self.sobject}.{self.field}"

    def hint(self, value: str) -> str:
        """Why `value` may be wrong: a label, or the right name in another case."""
        if value in self.labels and self.labels[value] != value:
            return f" ('{value}' is the label of '{self.labels[value]}')"
        same = [v for v in self.values if v.casefold() == value.casefold()]
        return f" (the org's value is '{same[0]}': values are case-sensitive)" if same else ""


def _quoted(values: Sequence[str], most: int = 12) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:most])
    return shown + (f", ... ({len(values)} in all)" if len(values) > most else "") if values else "none"


def undeclared(picklist: OrgPicklist, keys: Sequence[str]) -> Check:
    """The org lists no values for the field (not a picklist, or hidden): the rules can't be checked."""
    return Check(
        picklist.crm,
        picklist.name,
        Status.WARN,
        f"the org declares no picklist values for {picklist.name}, so {', '.join(keys)} cannot be checked",
        f"check that {picklist.name} is a picklist (HubSpot: an enumeration) the integration can read, "
        f"or check the rules by hand ({API_NAMES})",
    )


def rule_checks(picklist: OrgPicklist, rules: RuleValues) -> list[Check]:
    """One line per rule on this field: OK, or BLOCKING per value the org's picklist lacks."""
    keyed = rules_for(picklist.crm, picklist.sobject, picklist.field)
    if not picklist.values:
        return [undeclared(picklist, [rule.key for rule in keyed])]
    checks = []
    for rule in keyed:
        missing = [value for value in rules[rule.key] if value not in picklist.values]
        for value in missing:
            checks.append(
                Check(
                    picklist.crm,
                    rule.key,
                    Status.BLOCKING,
                    f"'{value}' is not a value of {picklist.name}{picklist.hint(value)}",
                    f"list the org's API names in {rule.key} ({API_NAMES}; the org has "
                    f"{_quoted(picklist.values)}), or have an admin add '{value}' to {picklist.name}",
                )
            )
        if not missing:
            count = len(rules[rule.key])
            checks.append(
                Check(picklist.crm, rule.key, Status.OK, f"{count} value(s), all in {picklist.name}")
            )
    return checks


def written_check(picklist: OrgPicklist, written: Sequence[str]) -> Check:
    """The values the writeback writes into the field must exist, or every task write fails."""
    if not picklist.values:
        return Check(picklist.crm, picklist.name, Status.INFO, f"writes {_quoted(written)} (not checked)")
    missing = [value for value in written if value not in picklist.values]
    if not missing:
        return Check(
            picklist.crm, picklist.name, Status.OK, f"the writeback's values {_quoted(written)} exist"
        )
    return Check(
        picklist.crm,
        picklist.name,
        Status.BLOCKING,
        f"the writeback writes {_quoted(missing)}, which {picklist.name} lacks: task writes would fail",
        f"have an admin add {_quoted(missing)} (API names) to {picklist.name}",
    )


def unmapped_check(
    picklist: OrgPicklist, rules: RuleValues, count: Callable[[], Mapping[str | None, int]], noun: str
) -> Check | None:
    """INFO: the org's values (declared or in the data) that no rule lists, with their record counts.

    `count` fetches the counts per value (None: no value); failing, it is a WARN line, never blocking.
    """
    try:
        counts = count()
    except CadenceError as error:
        return Check(
            picklist.crm, picklist.name, Status.WARN, f"record counts per value unavailable: {error}"
        )
    mapped = {
        value
        for rule in rules_for(picklist.crm, picklist.sobject, picklist.field)
        for value in rules[rule.key]
    }
    values = list(dict.fromkeys([*picklist.values, *(v for v in counts if v is not None)]))
    unmapped = [v for v in values if v not in mapped]
    parts = [f"'{v}' ({counts.get(v, 0):,})" for v in unmapped]
    if counts.get(None):
        parts.append(f"no value ({counts[None]:,})")
    if not parts:
        return None
    meaning = UNMAPPED_MEANING.get((picklist.sobject, picklist.field), "no rule applies")
    return Check(
        picklist.crm,
        picklist.name,
        Status.INFO,
        f"values no rule lists ({meaning}), with their {noun}: {', '.join(parts)}",
    )
