"""Which candidates become prospect accounts this month: a pure function of the candidates, what the
pipeline already created this month and what the ledger and the CRM already hold (unit-tested alone)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from orchestration.writeback.ledger import PROSPECT_KEY_PREFIX


@dataclass(frozen=True)
class Referrer:
    """An individual at the location who may order the service line (Order and Referring)."""

    npi: str
    first_name: str | None
    last_name: str


@dataclass(frozen=True)
class Candidate:
    """One row of marts.new_provider_candidates, with its referrers."""

    crm: str
    owner_id: str
    candidate_rank: int
    location_key: str
    location_name: str | None
    candidate_kind: str
    address_line_1: str
    city: str | None
    state: str | None
    zip5: str
    organization_npis: str | None = None
    referrer_count: int = 0
    referrers: tuple[Referrer, ...] = ()

    @property
    def name(self) -> str:
        """The account's name: the location's organisation, else the street (individuals only)."""
        return self.location_name or f"Practice at {self.address_line_1}"

    @property
    def npi(self) -> str | None:
        """The organisation NPI the account carries: the location's first (lowest)."""
        return self.organization_npis.split(",")[0] if self.organization_npis else None


@dataclass(frozen=True)
class ProspectAction:
    """A prospect account to create, in the shape the writeback algorithm ledgers (run.WriteAction)."""

    task_key: str  # prospect_key(): the ledger's key
    candidate: Candidate
    action: str = "create"
    crm_account_id: str | None = None
    crm_task_id: str | None = None
    is_duplicate: bool = False

    @property
    def owner_id(self) -> str:
        return self.candidate.owner_id


def prospect_key(crm: str, location_key: str) -> str:
    """One key per CRM and location (not per rep: a location in two territories is one account). The
    location key's spaces become '_' so that the key is one token."""
    return f"{PROSPECT_KEY_PREFIX}{crm}:{location_key.replace(' ', '_')}"


def location_of(key: str) -> str:
    """The location key a prospect key was made from."""
    return key.split(":", 2)[2].replace("_", " ")


def select_prospects(
    candidates: Iterable[Candidate],
    per_month: int,
    created_this_month: Mapping[str, int],
    taken: Iterable[str] = (),
) -> list[ProspectAction]:
    """Up to `per_month` minus what was created for the rep this month, best rank first, per rep.

    `taken`: locations not to create (the ledger's done creates, the CRM's accounts there). Reps take
    turns by rank (every rep's first, then every rep's second...), so a location in two territories goes
    to the rep who ranks it higher (ties: the lower owner id), and each location is created once."""
    quota: dict[str, int] = {}
    chosen: list[ProspectAction] = []
    seen = set(taken)
    for candidate in sorted(candidates, key=lambda c: (c.candidate_rank, c.owner_id, c.location_key)):
        left = quota.setdefault(candidate.owner_id, per_month - created_this_month.get(candidate.owner_id, 0))
        if left <= 0 or candidate.location_key in seen:
            continue
        seen.add(candidate.location_key)
        quota[candidate.owner_id] = left - 1
        chosen.append(ProspectAction(prospect_key(candidate.crm, candidate.location_key), candidate))
    return chosen
