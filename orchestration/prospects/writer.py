"""What both prospect writers share: the lookup of prospect keys by location in the CRM."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from orchestration.prospects.matching import CrmAccount, accounts_by_location
from orchestration.prospects.selection import location_of
from orchestration.writeback.run import TaskWriter

AccountsAt = Callable[[Iterable[str]], list[CrmAccount]]


class ProspectWriter(TaskWriter, Protocol):
    """A TaskWriter whose creates are prospect accounts, and which reads the CRM's accounts by ZIP."""

    contacts_created: int
    contact_errors: list[str]

    def accounts_at(self, zips: Iterable[str], npis: Iterable[str] = ()) -> list[CrmAccount]: ...


class CreatesOnly:
    """The half of TaskWriter both prospect writers share: they never close, and a key is found by the
    account standing at its location (`accounts_at`, each CRM's own read)."""

    def close(self, batch: Sequence[Any]) -> list[Any]:
        raise NotImplementedError("the prospect writeback never closes")

    def find_tasks_by_key(self, task_keys: Sequence[str]) -> dict[str, str]:
        """prospect key -> the id of an account at its location (the pipeline's or a person's)."""
        return find_by_location(self.accounts_at, task_keys)  # type: ignore[attr-defined]


def find_by_location(accounts_at: AccountsAt, task_keys: Sequence[str]) -> dict[str, str]:
    """prospect key -> the CRM account at the key's location: a key is found when any account (the
    pipeline's, or one a person made) stands there, so a lost answer or a rerun never adds a second."""
    locations = {key: location_of(key) for key in task_keys}
    if not locations:
        return {}
    found = accounts_by_location(accounts_at({loc.rsplit(" ", 1)[-1] for loc in locations.values()}))
    return {key: found[loc] for key, loc in locations.items() if loc in found}
