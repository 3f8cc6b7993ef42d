"""`cadence doctor`: is this org ready for the nightly audit? (like `dbt debug`). Read-only.

Light at import (the `cadence` parser imports it); the checks load when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def add_doctor_command(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check that the configured CRMs are ready for the nightly audit (read-only)",
        description="One line per check (OK / INFO / WARN / BLOCKING and the fix), then a verdict; "
        "exit 0 when ready, 2 when a blocking problem remains.",
    )
    doctor.add_argument(
        "--sandbox",
        action="store_true",
        help="check a sandbox CRM serving the demo org instead of the configured CRMs (ignores .dlt/)",
    )
    doctor.add_argument("--org", type=Path, help="with --sandbox: the org file (default: var/demo-org.json)")
    doctor.add_argument(
        "--project-tasks",
        action="store_true",
        help="also project the first night's tasks per rep (a dry run into a scratch warehouse; slow)",
    )
    doctor.add_argument("--as-of", help="with --project-tasks: the audit date, YYYY-MM-DD (default: today)")
    from orchestration.cli import _add_rules_argument, add_warehouse_argument  # loaded: `cadence` calls us

    _add_rules_argument(doctor)
    add_warehouse_argument(doctor, "default: cadence.warehouse; with --sandbox: the demo's")
    doctor.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from ingest.errors import UsageError

    if args.org is not None and not args.sandbox:
        raise UsageError(
            "--org is for the sandbox: add --sandbox, or drop --org to check the configured CRMs"
        )
    if args.org is not None and not args.org.exists():
        raise UsageError(f"org file {args.org} not found; omit --org to use the demo org")
    as_of = _as_of(args.as_of) if args.project_tasks else None
    from orchestration.doctor.rules import _rule_values
    from orchestration.doctor.run import run_doctor
    from orchestration.rules import load_rules, rules_path

    rules_file = rules_path(args.rules)
    rules = _rule_values(load_rules(rules_file))  # a bad rules file exits 2 here, before any call
    with _crm_configs(args) as configs:
        report = run_doctor(configs, rules, as_of, rules_file, warehouse=_warehouse(args))
    print(report.render())
    for check in report.blocking:
        print(f"error: {check.line()}", file=sys.stderr)
    return report.exit_code


def _as_of(text: str | None) -> Any:
    from ingest.errors import UsageError

    try:
        return datetime.strptime(text, "%Y-%m-%d").date() if text else datetime.now(UTC).date()
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date: use YYYY-MM-DD") from None


def _warehouse(args: argparse.Namespace) -> Any:
    """--warehouse, else the configured one (the demo's default with --sandbox: no settings read)."""
    if args.warehouse is not None:
        return args.warehouse
    from orchestration.cli import DEFAULT_WAREHOUSE

    if args.sandbox:
        return DEFAULT_WAREHOUSE
    from ingest.warehouse import as_option
    from orchestration.settings import load_settings

    return as_option(load_settings().run.warehouse)


@contextmanager
def _crm_configs(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """The ONE place the doctor gets its CRM settings: the sandbox's own, or the configured CRMs'."""
    if args.sandbox:
        with _sandbox_configs(args.org) as configs:
            yield configs
        return
    from orchestration.settings import load_settings

    yield dict(load_settings().crms)  # a mistyped or missing key exits 2 here, in one line


@contextmanager
def _sandbox_configs(org: Path | None) -> Iterator[dict[str, Any]]:
    """A sandbox serving the org (the demo org, generated if missing); never `.dlt/` or `SOURCES__*`."""
    from ingest.sandbox import OrgStore, serve_sandbox
    from ingest.sandbox_settings import hubspot_config, salesforce_config

    path = org or _demo_org()
    with serve_sandbox(OrgStore.load(path)) as running:
        yield {"salesforce": salesforce_config(running), "hubspot": hubspot_config(running)}


def _demo_org() -> Path:
    from ingest.sandbox.generator import generate_org, write_org
    from orchestration.cli import DEFAULT_DEMO_ORG, DEMO_ACCOUNTS

    if not DEFAULT_DEMO_ORG.exists():
        DEFAULT_DEMO_ORG.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating a demo org at {DEFAULT_DEMO_ORG} ({DEMO_ACCOUNTS:,} accounts per CRM)")
        write_org(generate_org(accounts=DEMO_ACCOUNTS, seed=7), DEFAULT_DEMO_ORG)
    return DEFAULT_DEMO_ORG
