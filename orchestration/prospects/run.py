"""One CRM's prospect writeback: select, re-check against the CRM, create through the task writeback's
algorithm and ledger (orchestration/writeback/run.py, ledger scope PROSPECTS), count the month's intake.

Idempotent by the prospect key `prospect:<crm>:<location key>`: a location the ledger holds as created,
or where the CRM holds any account now (the pipeline's or a person's: found by location key, by name in
the same ZIP, or by NPI), is never created again. Backdated runs are refused like the task writeback's
(guards.check_backdate; allowed, they create nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ingest.warehouse import WarehouseArg
from orchestration.prospects.matching import already_in_crm
from orchestration.prospects.plan import created_this_month, read_candidates, record_intake
from orchestration.prospects.selection import Candidate, ProspectAction, location_of, select_prospects
from orchestration.prospects.writer import ProspectWriter
from orchestration.rules import Rules
from orchestration.writeback.guards import backdated_crms, check_backdate
from orchestration.writeback.ledger import PROSPECTS, Ledger
from orchestration.writeback.run import reconcile_unsettled, write_back


@dataclass
class ProspectSummary:
    crm: str
    dry_run: bool
    candidates: int = 0  # rows of new_provider_candidates for this CRM
    already_in_crm: int = 0  # candidate locations where the CRM holds an account the warehouse lacks
    planned: int = 0
    created: int = 0
    contacts_created: int = 0
    reconciled: int = 0  # creates of an interrupted run found in the CRM
    failed: int = 0
    backdated: bool = False
    planned_accounts: list[str] = field(default_factory=list)  # "owner: name, street zip (n referrers)"
    errors: list[str] = field(default_factory=list)


def write_prospects(
    writer: ProspectWriter,
    warehouse: WarehouseArg,
    run_id: str,
    as_of: date,
    rules: Rules,
    dry_run: bool = False,
    max_per_run: int = 1000,
    allow_backdate: bool = False,
) -> ProspectSummary:
    crm = writer.crm
    check_backdate(warehouse, [crm], as_of, allow_backdate)
    summary = ProspectSummary(crm, dry_run, backdated=bool(backdated_crms(warehouse, [crm], as_of)))
    if summary.backdated:
        return summary
    candidates = read_candidates(warehouse, crm)  # before the ledger's read-write connection
    month = created_this_month(warehouse, crm, as_of)
    summary.candidates = len(candidates)
    ledger = Ledger.open(warehouse, run_id, crm, PROSPECTS)
    try:
        if not dry_run:  # an interrupted run's creates settle first: their locations are then taken
            summary.reconciled = reconcile_unsettled(writer, ledger)
        taken = {location_of(key) for key in [*ledger.done_creates(), *ledger.unsettled_creates()]}
        queue = _queue(writer, candidates, rules.target_new_prospects_per_month, month, taken, summary)
        result = write_back(writer, queue, ledger, max_per_run, dry_run)
        summary.created, summary.failed, summary.errors = result.created, result.failed, result.errors
        if not dry_run:
            done = ledger.done_creates()
            record_intake(ledger.con, run_id, crm, as_of,
                          [(a, done[a.task_key]) for a in queue if a.task_key in done])  # fmt: skip
    finally:
        ledger.close()
    summary.contacts_created = writer.contacts_created
    summary.errors += [f"contact not created: {error}" for error in writer.contact_errors]
    return summary


def _queue(
    writer: ProspectWriter,
    candidates: list[Candidate],
    per_month: int,
    month: dict[str, int],
    taken: set[str],
    summary: ProspectSummary,
) -> list[ProspectAction]:
    """The month's picks, re-checked against the CRM: a pick a person already made an account for is
    replaced by the rep's next candidate (the re-check reads every candidate ZIP once)."""
    wanted = [c for c in candidates if c.location_key not in taken and month.get(c.owner_id, 0) < per_month]
    if not wanted:
        return []
    npis = {npi for c in wanted for npi in (c.organization_npis or "").split(",") if npi}
    in_crm = already_in_crm(wanted, writer.accounts_at({c.zip5 for c in wanted}, npis))
    summary.already_in_crm = len(in_crm)
    queue = select_prospects(wanted, per_month, month, taken | set(in_crm))
    summary.planned = len(queue)
    summary.planned_accounts = [_line(a) for a in queue]
    return queue


def _line(action: ProspectAction) -> str:
    c = action.candidate
    return f"{c.owner_id}: {c.name}, {c.address_line_1} {c.zip5} ({len(c.referrers)} referrers)"
