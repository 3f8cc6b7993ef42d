"""`cadence prospects [--dry-run]`: this month's prospect accounts into the configured CRMs, alone (the
nightly job runs the same step when cadence.prospect_writeback is on). Running it is the opt-in; it
touches only the CRMs `cadence run` would (the settings), never the sandbox's."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from pathlib import Path


def add_prospects_command(commands: argparse._SubParsersAction) -> None:
    # At call time: orchestration.cli imports this module (and is the one CLI edge to the sandbox's parsers).
    from orchestration.cli import add_warehouse_argument, iso_date

    prospects = commands.add_parser(
        "prospects",
        help="create this month's top registry candidates per rep as prospect accounts (opt-in)",
        description="Reads marts.new_provider_candidates (built by `cadence run` with the registries "
        "loaded) and creates, per rep, up to target_new_prospects_per_month prospect accounts with "
        "their referrers as contacts. --dry-run lists them and writes nothing.",
    )
    prospects.add_argument("--dry-run", action="store_true", help="show what would be created; write nothing")
    prospects.add_argument(
        "--as-of", type=iso_date, metavar="YYYY-MM-DD", help="the month's day (default: today)"
    )
    add_warehouse_argument(prospects, "default: cadence.warehouse")
    prospects.add_argument(
        "--rules", type=Path, metavar="FILE", help="business rules file (see cadence.example.yml)"
    )
    prospects.add_argument(
        "--allow-backdate",
        action="store_true",
        help="accept an as-of before the last run's (then nothing is created)",
    )
    prospects.set_defaults(func=cmd_prospects)


def cmd_prospects(args: argparse.Namespace) -> int:
    from ingest.errors import UsageError
    from ingest.warehouse import as_option, exists
    from orchestration.input_checks import check_warehouse, check_warehouse_unlocked
    from orchestration.rules import find_rules
    from orchestration.settings import load_settings

    rules = find_rules(args.rules)  # a bad rules file or setting: one line, before any CRM call
    settings = load_settings()
    warehouse = args.warehouse or as_option(settings.run.warehouse)
    if not exists(warehouse):
        raise UsageError(
            f"warehouse {warehouse} not found; run `cadence run` first (it builds the candidates)"
        )
    check_warehouse(warehouse)
    check_warehouse_unlocked(warehouse)
    from orchestration.preflight import check_crms
    from orchestration.prospects.connect import prospect_writer
    from orchestration.prospects.run import write_prospects

    check_crms(settings.crms)
    as_of = args.as_of or datetime.now(UTC).date()
    run_id = f"prospects-{uuid.uuid4()}"
    failed = 0
    for crm, config in settings.crms.items():
        summary = write_prospects(
            prospect_writer(crm, config, rules), warehouse, run_id, as_of, rules, dry_run=args.dry_run,
            max_per_run=settings.run.max_tasks_per_run, allow_backdate=args.allow_backdate,
        )  # fmt: skip
        verb = "would create" if summary.dry_run else "created"
        done = summary.planned if summary.dry_run else summary.created
        print(f"{crm}: {verb} {done} prospect accounts ({summary.contacts_created} contacts); "
              f"{summary.already_in_crm} candidate locations already in the CRM")  # fmt: skip
        for line in summary.planned_accounts:
            print(f"  {line}")
        for error in summary.errors:
            print(f"  not written: {error}")
        failed += summary.failed
    return 1 if failed else 0
