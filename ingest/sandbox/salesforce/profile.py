"""The Salesforce behaviour profile: production behaviours the sandbox can model, each a knob.

The default profile is `realistic`: what a production org does, since the sandbox models the vendor
(the demo, the tests and the bench run on it). `naive` is the sandbox's historical behaviour (deleted
records kept forever, activities never archived, a strict clock that orders every write), opt-in for the
few tests about exactly that. A test sets it from the org file (`salesforce._profile`: "naive" or
{"name": "naive", knob: value}) or over the control surface (`POST /__sandbox/salesforce/profile` with
the same JSON), so it can turn one knob off or tighten it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class SalesforceProfile:
    name: str = "naive"
    # Deleted records stay in the Recycle Bin (queryAll, IsDeleted = true) this many days, then are
    # purged from every query. "Deleted records remain in the Recycle Bin for 15 days"
    # (Salesforce Help, "Recycle Bin": https://help.salesforce.com/s/articleView?id=sf.home_delete.htm).
    # None: kept forever.
    recycle_bin_days: int | None = None
    # Events that ended, and closed tasks due, more than this many days ago are archived:
    # IsArchived = true, hidden from `query`, returned by `queryAll`. "Activities are archived
    # ... older than 365 days" (Salesforce Help, "Archived Activities":
    # https://help.salesforce.com/s/articleView?id=sf.activities_archived.htm; SOQL and archived
    # activities: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_all_rows.htm).
    # None: never archived.
    archive_after_days: int | None = None
    # Strict: every write moves the clock at least 1 ms. Production stamps by wall time, so writes
    # in one instant (or under a frozen clock, `/__sandbox/clock`) share a SystemModstamp; a
    # composite/batch call always stamps all its records with one instant.
    strict_clock: bool = True


DEFAULT_PROFILE = "realistic"
PROFILES = {
    "naive": SalesforceProfile(),
    "realistic": SalesforceProfile(
        name="realistic", recycle_bin_days=15, archive_after_days=365, strict_clock=False
    ),
}
_KNOBS = frozenset(f.name for f in fields(SalesforceProfile)) - {"name"}


class ProfileError(ValueError):
    """A profile spec naming an unknown profile or knob (one line)."""


def parse_profile(spec: Any) -> SalesforceProfile:
    """ "naive", {"name": "realistic", "archive_after_days": 30}, or {knob: value} over the default."""
    if spec is None:
        return PROFILES[DEFAULT_PROFILE]
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict):
        raise ProfileError("a Salesforce profile is a name or an object of knobs")
    name = spec.get("name", DEFAULT_PROFILE)
    if name not in PROFILES:
        raise ProfileError(f"unknown Salesforce profile {name!r}; one of {sorted(PROFILES)}")
    unknown = set(spec) - _KNOBS - {"name"}
    if unknown:
        raise ProfileError(f"unknown Salesforce profile knob(s) {sorted(unknown)}; known: {sorted(_KNOBS)}")
    return replace(PROFILES[name], **{k: v for k, v in spec.items() if k in _KNOBS})


def profile_json(profile: SalesforceProfile) -> dict[str, Any]:
    return asdict(profile)
