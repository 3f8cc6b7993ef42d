"""What `cadence doctor` reports: one line per check (OK / INFO / WARN / BLOCKING, and the fix), a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ingest.errors import CadenceError, CrmAuthError

LOW_BUDGET_SHARE = 0.1  # WARN when less than this share of a daily API allowance is left


WAREHOUSE = "warehouse"  # the check of the warehouse's engine: not a CRM, not in the verdict's list


class Status(StrEnum):
    OK = "OK"
    INFO = "INFO"  # worth knowing, nothing to fix (e.g. org values no rule maps)
    WARN = "WARN"  # the pipeline runs, but degraded or at risk; the fix is recommended
    BLOCKING = "BLOCKING"  # the pipeline would fail or be wrong; the org is not ready


@dataclass(frozen=True)
class Check:
    crm: str
    name: str  # what was checked, e.g. "login", "Account fields", "salesforce_active_types"
    status: Status
    message: str
    fix: str = ""  # what an admin or the settings change; empty for OK and INFO

    def line(self) -> str:
        fix = f" -- fix: {self.fix}" if self.fix else ""
        return f"{self.status.value:<8} {self.crm} {self.name}: {self.message}{fix}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def blocking(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.BLOCKING]

    @property
    def ready(self) -> bool:
        return not self.blocking

    @property
    def exit_code(self) -> int:
        return 0 if self.ready else 2

    def verdict(self) -> str:
        warnings = sum(c.status is Status.WARN for c in self.checks)
        crms = ", ".join(dict.fromkeys(c.crm for c in self.checks if c.crm != WAREHOUSE)) or "no CRM"
        if self.ready:
            return f"verdict: READY ({crms}; {warnings} warning(s)) in {self.seconds:.1f} s"
        return f"verdict: NOT READY ({crms}): {len(self.blocking)} blocking problem(s), {warnings} warning(s)"

    def render(self) -> str:
        return "\n".join([*(c.line() for c in self.checks), self.verdict()])


def guarded(crm: str, name: str, run: Callable[[], list[Check]]) -> list[Check]:
    """A check whose calls fail says so on its own line (the error names the fix); the others still run."""
    try:
        return run()
    except CadenceError as error:
        return [Check(crm, name, Status.BLOCKING, str(error))]


def budget_check(crm: str, message: str, allowance: int, remaining: int, fix: str) -> Check:
    """OK while enough of the daily allowance is left, else WARN with `fix`."""
    if remaining < LOW_BUDGET_SHARE * allowance:
        return Check(crm, "API budget", Status.WARN, message, fix)
    return Check(crm, "API budget", Status.OK, message)


def login_checks(crm: str, url: str, log_in: Callable[[], str]) -> list[Check]:
    """`reachable` and `authenticated` (`log_in` answers how); the last line is BLOCKING on a failure."""
    reached = Check(crm, "reachable", Status.OK, f"{url} answers")
    try:
        how = log_in()
    except CrmAuthError as error:
        return [reached, Check(crm, "authenticated", Status.BLOCKING, str(error))]
    except CadenceError as error:
        return [Check(crm, "reachable", Status.BLOCKING, str(error))]
    return [reached, Check(crm, "authenticated", Status.OK, how)]
