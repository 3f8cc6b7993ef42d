"""The business rules an admin edits: one validated file (`cadence.yml`), one typed model, one home.

Which picklist values mean "active" or "prospect", what counts as a visit, cadence days and windows.
The defaults below are the data contract's; `dbt_project/dbt_project.yml` carries a generated copy of
them as dbt's fallback vars (`python -m orchestration.rules` rewrites it, a test keeps it in sync).
Every run passes the loaded rules to dbt as `--vars`, to the quality suites and to the report, so
nothing else restates a value. docs/rules.md documents each rule and its CRM field.

Where the file is found: `--rules FILE`, else env `CADENCE_RULES`, else `cadence.yml` in the working
directory, else the built-in defaults.
"""

from __future__ import annotations

import difflib
import os
import sys
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.errors import CadenceError

RULES_ENV = "CADENCE_RULES"
DEFAULT_RULES_FILE = "cadence.yml"
DBT_PROJECT_FILE = Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml"
DBT_VARS_MARKER = "# ---- generated from orchestration/rules.py"

Picklist = list[str]  # API names, not labels
Days = Annotated[int, Field(gt=0)]
Share = Annotated[float, Field(gt=0, le=1)]  # a fraction of an owner's book, e.g. 0.2 = the top 20%
Trend = Literal["new", "growing", "steady", "slipping", "lapsed", "none"]  # marts.referral_trend.trend


class RulesError(CadenceError):
    """The rules file is missing, not YAML, or names an unknown key / a value of the wrong type."""


class CadencePolicyEntry(BaseModel):
    """One segment of the cadence policy (docs/rules.md, "Cadence policy"): the accounts matching every
    condition it names get `cadence_days`. No condition: every account (a catch-all, put it last)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)  # shown as cadence_source 'policy:<name>'
    cadence_days: Days
    status: list[Literal["active", "prospect"]] | None = None  # account_cadence.status
    crm_status: Picklist | None = None  # Salesforce Account.Type / HubSpot lifecyclestage (API names)
    # In the top share of its owner's in-scope accounts by potential (int_account_potential): a tier.
    potential_top_share: Share | None = None


class Rules(BaseModel):
    """The business rules. Picklist values are API names (what the API returns), not labels."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    timezone: str = Field("UTC", description="IANA zone in which timestamps become calendar dates")
    salesforce_active_types: Picklist = ["Active Referral Source", "Customer - Direct", "Customer - Channel"]
    salesforce_prospect_types: Picklist = ["Prospect"]
    hubspot_active_lifecyclestages: Picklist = ["customer", "evangelist"]
    hubspot_prospect_lifecyclestages: Picklist = [
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
    ]
    salesforce_visit_event_types: Picklist = ["Visit", "Meeting"]
    salesforce_visit_task_types: Picklist = ["Visit"]
    salesforce_visit_task_statuses: Picklist = ["Completed"]
    salesforce_account_id_prefix: str = Field("001", min_length=3, max_length=3)
    hubspot_excluded_meeting_outcomes: Picklist = ["CANCELED", "NO_SHOW"]
    default_cadence_days_active: Days = 30
    default_cadence_days_prospect: Days = 30
    due_soon_days: Annotated[int, Field(ge=0)] = 7
    planned_visit_grace_days: Annotated[int, Field(ge=0)] = 14
    graduation_visits: Days = 5
    share_window_days: Days = 180
    referral_window_days: Days = 365
    target_new_prospects_per_month: Annotated[int, Field(ge=0)] = 5
    # Who can refer (issue 14): a contact is a referrer when its title matches one of these SQL ILIKE
    # patterns (case-insensitive; `%` any run of characters, `_` one; no wildcard = the whole title, so
    # 'MD' matches "md" but not "MD, PhD"). ILIKE, not regex: an admin writes '%physician%' without
    # learning escapes, and the same pattern works in the CRM's own list-view filters. Empty: every
    # contact of an account is a referrer (as before).
    referrer_title_patterns: list[Annotated[str, Field(min_length=1)]] = []
    # An account with referrers is under-covered (referral_potential.is_under_covered) when the share
    # of them met in the share window is below this: one of six met (0.17) is, three of six is not.
    under_covered_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    # Who gets the task of an overdue account whose owner cannot act on it (a deactivated Salesforce
    # user, an archived HubSpot owner, an owner id that is no user): e.g. the team's manager. None: no
    # task is written; the account is reported (quality warning, report) for reassignment in the CRM.
    salesforce_fallback_owner_id: str | None = Field(None, min_length=15, max_length=18)
    hubspot_fallback_owner_id: str | None = Field(None, min_length=1)
    # Quarantine (issue 18): a record with a value outside these bounds goes to
    # intermediate.int_rejected_records, warns in the quality suite and gets no task.
    max_cadence_days: Days = 3650
    earliest_visit_year: Annotated[int, Field(ge=1900, le=2100)] = 2000
    max_visit_days_ahead: Days = 730
    # Date guards (issue 18): a night's create queue above queue_ratio_max x the median of the last
    # queue_ratio_nights successful nights' creates, and above queue_ratio_min_creates, is blocked like
    # the volume guard (a far as-of, or a truncated sync, nags everyone): --allow-queue-jump passes it.
    queue_ratio_max: Annotated[float, Field(gt=1)] = 3.0
    queue_ratio_min_creates: Annotated[int, Field(ge=0)] = 50
    queue_ratio_nights: Days = 7
    # Cadence follows value (issue 14): the first entry an in-scope account matches sets its cadence_days
    # (the per-account override still wins; no entry matches: the status default above).
    cadence_policy: list[CadencePolicyEntry] = []
    # Referral trend (marts.referral_trend): the last trend_window_days against the window before it.
    trend_window_days: Days = 90
    trend_slipping_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5  # slipping: last < ratio x prior
    trend_growing_ratio: Annotated[float, Field(gt=1)] = 1.5  # growing: last >= ratio x prior
    # Task priority: High when any of these holds, else Normal.
    priority_high_overdue_ratio: Annotated[float, Field(gt=0)] = 1.0  # days_overdue >= ratio x cadence
    priority_high_trends: list[Trend] = ["slipping"]
    priority_high_top_potential_share: Annotated[float, Field(ge=0, le=1)] = 0.2  # 0: off

    # Public registries (issue 15, docs/rules.md "Registries"): the Order and Referring column that makes
    # an individual a referrer; a rep's territory (ZIP5s or ZIP3s of the rep's accounts, or an explicit
    # map "crm:owner_id" -> ZIP prefixes); the NUCC taxonomy codes (https://taxonomy.nucc.org) that make
    # an organisation a hospital, a skilled nursing facility or a physician group.
    registry_service_line: Literal["HHA", "HOSPICE", "DME"] = "HHA"
    registry_territory_zip_digits: Literal[3, 5] = 5
    registry_territories: dict[str, list[Annotated[str, Field(pattern=r"^[0-9]{3,5}$")]]] = {}
    registry_hospital_taxonomies: Picklist = [
        "282N00000X",  # General Acute Care Hospital
        "282NC0060X",  # Critical Access Hospital
        "282NR1301X",  # Rural Acute Care Hospital
        "282NC2000X",  # Children's Hospital
        "282E00000X",  # Long Term Care Hospital
        "283X00000X",  # Rehabilitation Hospital
    ]
    registry_snf_taxonomies: Picklist = [
        "314000000X",  # Skilled Nursing Facility
        "3140N1450X",  # Skilled Nursing Facility, Nursing Care, Pediatric
        "313M00000X",  # Nursing Facility/Intermediate Care Facility
    ]
    registry_group_taxonomies: Picklist = [
        "193200000X",  # Multi-Specialty Group
        "193400000X",  # Single Specialty Group
    ]
    # Marketing's list (issue 15, marts.marketing_top_accounts): the top N per rep by potential, existing
    # accounts and registry candidates together (the article's "top 100 potential clients").
    marketing_top_n: Annotated[int, Field(ge=1, le=10_000)] = 100

    @model_validator(mode="after")
    def _policy_names_unique(self) -> Rules:
        names = [entry.name for entry in self.cadence_policy]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"cadence_policy: entry names must be unique, '{repeated[0]}' repeats")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone (e.g. 'America/Chicago')") from exc
        return value

    def visit_window_days(self) -> int:
        """How old a visit can be and still count: for a share, or against a default cadence. The
        HubSpot sync re-reads the companies of meetings this recent (ingest/hubspot/associations.py)."""
        cadences = (self.default_cadence_days_active, self.default_cadence_days_prospect)
        policy = (entry.cadence_days for entry in self.cadence_policy)  # a policy's cadence counts too
        return max(self.share_window_days, *cadences, *policy)

    def dbt_vars(self) -> dict[str, Any]:
        """The rules as dbt vars (the names are the same). as_of is not one: it travels as env
        CADENCE_AS_OF so that dbt's partial parse survives from one night to the next."""
        return self.model_dump()


# The CRM field each picklist rule is matched against (for messages and docs/rules.md).
PICKLIST_FIELDS: dict[str, str] = {
    "salesforce_active_types": "Account Type",
    "salesforce_prospect_types": "Account Type",
    "hubspot_active_lifecyclestages": "company lifecyclestage",
    "hubspot_prospect_lifecyclestages": "company lifecyclestage",
    "salesforce_visit_event_types": "Event Type",
    "salesforce_visit_task_types": "Task Type",
    "salesforce_visit_task_statuses": "Task Status",
    "hubspot_excluded_meeting_outcomes": "meeting hs_meeting_outcome",
}


def rules_path(explicit: str | Path | None = None) -> Path | None:
    """The rules file in force: `explicit`, else $CADENCE_RULES, else ./cadence.yml if present."""
    chosen = explicit or os.environ.get(RULES_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            origin, undo = ("--rules", "drop --rules") if explicit else (RULES_ENV, f"unset {RULES_ENV}")
            raise RulesError(
                f"rules file {path} ({origin}) not found; copy cadence.example.yml there, or {undo}"
            )
        return path.resolve()
    local = Path(DEFAULT_RULES_FILE)
    return local.resolve() if local.is_file() else None


def load_rules(path: Path | None) -> Rules:
    """The rules of `path` (None: the defaults); a bad file raises RulesError with one line."""
    if path is None:
        return Rules()
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise RulesError(f"{path}: not valid YAML{where}: {problem}") from None
    if document is None:
        return Rules()
    if not isinstance(document, dict):
        raise RulesError(f"{path}: expected 'key: value' lines (a mapping), got a {type(document).__name__}")
    try:
        return Rules.model_validate(document)
    except ValidationError as exc:
        raise RulesError(f"{path}: " + "; ".join(_describe(e) for e in exc.errors())) from None


def find_rules(explicit: str | Path | None = None) -> Rules:
    return load_rules(rules_path(explicit))


def _describe(error: Any) -> str:
    """One pydantic error as `key: what is wrong`, with the likely intended key for an unknown one."""
    location = error["loc"]
    key = str(location[0]) if location else "(file)"
    item = f" (item {location[1] + 1})" if len(location) > 1 and isinstance(location[1], int) else ""
    if error["type"] == "extra_forbidden":
        nested = len(location) > 2  # a key inside a list entry, e.g. cadence_policy's
        unknown = str(location[-1])
        known = CadencePolicyEntry.model_fields if nested else Rules.model_fields
        guess = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else "; see docs/rules.md for the keys"
        return f"{key}{item}: " * nested + f"unknown key '{unknown}'{hint}"
    if not location:  # a check across keys (model_validator): its message names them
        return str(error["msg"]).removeprefix("Value error, ")
    message = str(error["msg"]).removeprefix("Value error, ")
    field = f" {location[2]}" if len(location) > 2 else ""  # e.g. cadence_policy (item 2) cadence_days
    got = "" if error["type"] == "missing" else f", got {error['input']!r}"
    return f"{key}{item}{field}: {message[0].lower()}{message[1:]}{got}"


def rules_label(path: Path | None) -> str:
    """How messages name the rules file: its path, or the file an admin would create."""
    return str(path) if path is not None else DEFAULT_RULES_FILE


# ---- dbt_project.yml's fallback vars (generated) -------------------------------------------------
def dbt_vars_block(rules: Rules | None = None) -> str:
    """The `vars:` block of dbt_project.yml: the default rules, plus as_of (empty = today)."""
    import json

    lines = [
        f"{DBT_VARS_MARKER} (`python -m orchestration.rules`): do not edit, edit the",
        "# defaults there or, per deployment, cadence.yml. dbt reads these only when run by hand.",
        "vars:",
        '  as_of: ""',
    ]
    # JSON scalars and flow lists are valid YAML and quote every string the same way.
    lines += [f"  {key}: {json.dumps(value)}" for key, value in (rules or Rules()).dbt_vars().items()]
    return "\n".join(lines) + "\n"


def write_dbt_vars(project_file: Path = DBT_PROJECT_FILE) -> None:
    text = project_file.read_text(encoding="utf-8")
    head = text.split(DBT_VARS_MARKER, 1)[0].rstrip("\n")
    project_file.write_text(f"{head}\n\n{dbt_vars_block()}", encoding="utf-8")


if __name__ == "__main__":
    write_dbt_vars()
    print(f"rewrote the vars of {DBT_PROJECT_FILE}", file=sys.stderr)
