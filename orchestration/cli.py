"""`cadence`: the command line of the cadence warehouse.

Every command that can fail on bad input ends with a one-line message naming the fix and a
non-zero exit (2), never a traceback; `CADENCE_DEBUG=1` shows the traceback for bug reports.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ingest.sandbox.cli import add_sandbox_commands, iso_date, positive_int

DEFAULT_WAREHOUSE = Path("var/warehouse.duckdb")
DEFAULT_DEMO_ORG = Path("var/demo-org.json")
# About a quarter of a generated org's accounts are overdue: 1,000 keeps the first night's writeback
# (~250 tasks per CRM) well inside the default max_tasks_per_run of 500.
DEMO_ACCOUNTS = 1000


# ---- pipeline -----------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.sync import configured_crms, sync_crm

    configs = configured_crms()
    config = configs.get(args.crm)
    if config is None:
        raise SystemExit(
            f"error: {args.crm} is not configured; set SOURCES__{args.crm.upper()}__* (see README) "
            "or run `cadence demo`"
        )
    result = sync_crm(args.crm, config, args.warehouse, progress=True)
    rows = ", ".join(f"{table} {count:,}" for table, count in result.rows_by_table.items())
    print(f"{args.crm}: {rows} in {result.seconds:.1f} s ({result.api_calls} API calls)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ingest.sync import configured_crms
    from orchestration.runtime import RunOptions, run_nightly_audit

    args.rules_file = _rules_file(args)
    options = _run_options(args, RunOptions)
    summary = run_nightly_audit(configured_crms(), options)
    print(summary.render())
    return 0 if summary.succeeded else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from ingest.sandbox import OrgStore, serve_sandbox
    from ingest.sandbox.generator import generate_org, write_org
    from ingest.sandbox_settings import hubspot_config, salesforce_config
    from orchestration.runtime import RunOptions, run_nightly_audit

    args.rules_file = _rules_file(args)
    if args.org is None:
        args.org = DEFAULT_DEMO_ORG
        if not args.org.exists():
            args.org.parent.mkdir(parents=True, exist_ok=True)
            print(f"generating a demo org at {args.org} ({DEMO_ACCOUNTS:,} accounts per CRM)")
            write_org(generate_org(accounts=DEMO_ACCOUNTS, seed=7, anchor_date=args.as_of), args.org)
    elif not args.org.exists():
        raise SystemExit(f"error: org file {args.org} not found; omit --org to generate one")
    options = _run_options(args, RunOptions)
    with serve_sandbox(OrgStore.load(args.org, persist_delay=0.2)) as running:
        print(f"sandbox CRM on {running.https_url} (Salesforce) and {running.http_url} (HubSpot)")
        configs = {"salesforce": salesforce_config(running), "hubspot": hubspot_config(running)}
        summary = run_nightly_audit(configs, options)
    print(summary.render())
    print(f"org file with what was written: {args.org}")
    return 0 if summary.succeeded else 1


def _run_options(args: argparse.Namespace, options_type: type) -> object:
    return options_type(
        warehouse=args.warehouse,
        as_of=args.as_of or datetime.now(UTC).date(),
        dry_run=args.dry_run,
        max_tasks_per_run=args.max_tasks_per_run,
        override_quality_gate=args.override_quality_gate,
        rules_file=args.rules_file,
    )


def cmd_bench(args: argparse.Namespace) -> int:
    import orjson

    from orchestration.bench import BenchOptions, run_bench

    crms = ("salesforce", "hubspot") if args.crm == "both" else (args.crm,)
    options = BenchOptions(
        accounts=args.accounts,
        visits=args.visits,
        changed_pct=args.changed_pct,
        crms=crms,
        forced_tasks=args.forced_tasks,
        baseline=not args.no_baseline,
        nights=args.nights,
        workdir=args.workdir,
    )
    results = run_bench(options)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"figures written to {args.output}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration.report import write_report
    from orchestration.rules import find_rules

    rules = find_rules(args.rules)  # a bad rules file exits 2 here
    if not args.warehouse.exists():
        raise SystemExit(f"error: warehouse {args.warehouse} not found; run `cadence demo` or `cadence run`")
    try:
        output = write_report(args.warehouse, args.output, run_id=args.run_id, rules=rules)
    except duckdb.CatalogException as exc:
        raise SystemExit(
            f"error: {args.warehouse} has no marts yet ({str(exc).splitlines()[0]}); run `cadence run` first"
        ) from exc
    print(f"report: {output}")
    return 0


# ---- parser -------------------------------------------------------------------------------------


def _add_rules_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="business rules file (default: $CADENCE_RULES, else ./cadence.yml if present, else built-in;"
        " see cadence.example.yml)",
    )


def _rules_file(args: argparse.Namespace) -> str | None:
    """The rules file in force, validated now (a bad one exits 2 before any slow work)."""
    from orchestration.rules import load_rules, rules_path

    path = rules_path(args.rules)
    load_rules(path)
    return str(path) if path is not None else None


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    _add_rules_argument(parser)
    parser.add_argument("--as-of", type=iso_date, help="the audit date (default: today, UTC)")
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file")
    parser.add_argument(
        "--dry-run", action="store_true", help="print and record the writeback, write nothing"
    )
    parser.add_argument(
        "--max-tasks-per-run", type=positive_int, default=500, help="stop a runaway writeback"
    )
    parser.add_argument(
        "--override-quality-gate",
        action="store_true",
        help="write back even though a blocking data-quality check failed (when the change is real)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cadence", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="run the nightly audit against the sandbox CRM (the README's first command)"
    )
    demo.add_argument("--org", type=Path, help="org file (default: generate var/demo-org.json)")
    _add_run_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    run = commands.add_parser("run", help="run the nightly cadence audit against the configured CRMs")
    _add_run_arguments(run)
    run.set_defaults(func=cmd_run)

    report = commands.add_parser("report", help="write the cadence report (HTML, opens offline)")
    report.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file")
    report.add_argument("-o", "--output", type=Path, help="HTML file (default: reports/ by the warehouse)")
    report.add_argument("--run-id", help="list the tasks this run wrote (default: the latest run)")
    _add_rules_argument(report)
    report.set_defaults(func=cmd_report)

    ingest = commands.add_parser("ingest", help="sync one CRM into the warehouse's raw layer")
    ingest.add_argument("crm", choices=["salesforce", "hubspot"])
    ingest.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    ingest.set_defaults(func=cmd_ingest)

    add_sandbox_commands(commands)
    _add_bench_parser(commands)
    return parser


def _add_bench_parser(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="size a nightly run on a generated org, step by step")
    bench.add_argument("--accounts", type=positive_int, default=10_000, help="accounts per CRM")
    bench.add_argument("--visits", type=positive_int, help="visits per CRM (default 10 per account)")
    bench.add_argument("--changed-pct", type=float, default=1.0, help="%% of records changed before a sync")
    bench.add_argument("--crm", choices=["salesforce", "hubspot", "both"], default="both")
    bench.add_argument("--forced-tasks", type=positive_int, default=10_000, help="forced writeback size")
    bench.add_argument("--no-baseline", action="store_true", help="skip the per-record baseline ingest")
    bench.add_argument("--nights", type=int, default=2, help="nightly job runs (first night, next nights)")
    bench.add_argument("--workdir", type=Path, default=Path("var/bench"), help="orgs and scratch warehouses")
    bench.add_argument("-o", "--output", type=Path, default=Path("var/bench/results.json"))
    bench.set_defaults(func=cmd_bench)


def main(argv: Sequence[str] | None = None) -> int:
    from ingest.errors import CadenceError

    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CadenceError as error:
        if os.environ.get("CADENCE_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
