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
from typing import NoReturn

from ingest.sandbox.cli import add_sandbox_commands, iso_date, positive_int
from ingest.warehouse import as_option
from orchestration import defaults
from orchestration.doctor.cli import add_doctor_command
from orchestration.input_checks import check_warehouse, check_warehouse_unlocked
from orchestration.prospects.cli import add_prospects_command

DEFAULT_WAREHOUSE = Path(defaults.WAREHOUSE)
DEFAULT_DEMO_ORG = Path("var/demo-org.json")
# About a quarter of a generated org's accounts are overdue: 1,000 keeps the first night's writeback
# (~250 tasks per CRM) well inside the default max_tasks_per_run (orchestration/defaults.py).
DEMO_ACCOUNTS = 1000


# ---- pipeline -----------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.errors import UsageError
    from ingest.sync import sync_crm
    from orchestration.settings import README_SECTION, load_settings

    settings = load_settings()
    config = settings.crms.get(args.crm)
    if config is None:
        raise UsageError(
            f"{args.crm} is not audited (audited: {', '.join(settings.crms)}): set "
            f"SOURCES__{args.crm.upper()}__* and list it in cadence.crms ({README_SECTION})"
        )
    warehouse = args.warehouse or as_option(settings.run.warehouse)
    check_warehouse(warehouse)
    check_warehouse_unlocked(warehouse)
    from orchestration.preflight import check_crms

    check_crms({args.crm: config})  # an unreachable CRM or rejected login: one line, before dlt starts
    result = sync_crm(
        args.crm,
        config,
        warehouse,
        progress=True,
        lookback_seconds=settings.run.lookback_seconds,
        api_budget_reserve=settings.run.api_budget_reserve,
        key_scan_days=settings.run.key_scan_days,
    )
    rows = ", ".join(f"{table} {count:,}" for table, count in result.rows_by_table.items())
    print(f"{args.crm}: {rows} in {result.seconds:.1f} s ({result.api_calls} API calls)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.settings import load_settings

    args.rules_file = _rules_file(args)
    settings = load_settings()  # every setting checked before the slow imports and any work
    args.warehouse = args.warehouse or as_option(settings.run.warehouse)
    check_warehouse(args.warehouse)
    args.max_tasks_per_run = args.max_tasks_per_run or settings.run.max_tasks_per_run
    from orchestration.preflight import failing_crms

    # An unreachable CRM or rejected login: one line. Every audited CRM: before the job starts (exit 2);
    # some: the others run, and the run fails naming the ones left out (each CRM stands alone).
    failures = failing_crms(settings.crms)
    if failures and len(failures) == len(settings.crms):
        raise next(iter(failures.values()))
    from orchestration.runtime import RunOptions, run_nightly_audit

    _say_override(args)
    options = _run_options(
        args,
        RunOptions,
        lookback_seconds=settings.run.lookback_seconds,
        api_budget_reserve=settings.run.api_budget_reserve,
        key_scan_days=settings.run.key_scan_days,
        registry_nppes=settings.run.registry_nppes,
        registry_order_referring=settings.run.registry_order_referring,
        prospect_writeback=settings.run.prospect_writeback,
    )
    configs = {crm: config for crm, config in settings.crms.items() if crm not in failures}
    summary = run_nightly_audit(configs, options, {crm: str(error) for crm, error in failures.items()})
    print(summary.render())
    return 0 if summary.succeeded else 1


def cmd_demo(args: argparse.Namespace) -> int:
    """The sandbox's own settings only: the demo never reads `.dlt/` or `SOURCES__*`."""
    from ingest.errors import UsageError

    _say_override(args)
    args.rules_file = _rules_file(args)
    if args.org is not None and not args.org.exists():  # before the imports: they take seconds
        raise UsageError(f"org file {args.org} not found; omit --org to generate one")
    args.warehouse = args.warehouse or DEFAULT_WAREHOUSE
    check_warehouse(args.warehouse)
    args.max_tasks_per_run = args.max_tasks_per_run or defaults.MAX_TASKS_PER_RUN
    from ingest.sandbox import OrgFileError, serve_sandbox
    from ingest.sandbox.cli import load_org_file
    from ingest.sandbox.generator import generate_org, write_org
    from ingest.sandbox_settings import hubspot_config, salesforce_config
    from orchestration.runtime import RunOptions, run_nightly_audit

    if args.org is None:
        args.org = DEFAULT_DEMO_ORG
        if not args.org.exists():
            args.org.parent.mkdir(parents=True, exist_ok=True)
            print(f"generating a demo org at {args.org} ({DEMO_ACCOUNTS:,} accounts per CRM)")
            write_org(generate_org(accounts=DEMO_ACCOUNTS, seed=7, anchor_date=args.as_of), args.org)
    try:
        store = load_org_file(args.org)
    except OrgFileError as exc:
        raise UsageError(str(exc)) from exc
    options = _run_options(args, RunOptions, **_demo_registries(args.org))
    with serve_sandbox(store) as running:
        print(f"sandbox CRM on {running.https_url} (Salesforce) and {running.http_url} (HubSpot)")
        configs = {"salesforce": salesforce_config(running), "hubspot": hubspot_config(running)}
        summary = run_nightly_audit(configs, options)
    print(summary.render())
    print(f"org file with what was written: {args.org}")
    return 0 if summary.succeeded else 1


def _say_override(args: argparse.Namespace) -> None:
    """A deliberate, dangerous choice: said on the terminal first, before any check or work."""
    if args.override_quality_gate:
        print(
            "warning: --override-quality-gate: a failed blocking data-quality check will not stop the "
            "writeback (it is reported as a warning)",
            file=sys.stderr,
        )


def _run_options(args: argparse.Namespace, options_type: type, **run_settings: float | str | None) -> object:
    return options_type(
        **run_settings,
        warehouse=args.warehouse,
        as_of=args.as_of or datetime.now(UTC).date(),
        dry_run=args.dry_run,
        max_tasks_per_run=args.max_tasks_per_run,
        override_quality_gate=args.override_quality_gate,
        allow_backdate=args.allow_backdate,
        allow_queue_jump=args.allow_queue_jump,
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
        engines=("duckdb", "postgres") if args.engine == "both" else (args.engine,),
        postgres_url=args.postgres,
    )
    if args.postgres and args.engine == "duckdb":
        from ingest.errors import UsageError

        raise UsageError("cadence bench --postgres: add --engine postgres or --engine both")
    results = run_bench(options)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"figures written to {args.output}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ingest.errors import UsageError
    from orchestration.rules import find_rules

    rules = find_rules(args.rules)  # a bad rules file exits 2 here
    from ingest.warehouse import exists

    if not exists(args.warehouse):
        raise UsageError(f"warehouse {args.warehouse} not found; run `cadence demo` or `cadence run`")
    check_warehouse(args.warehouse)
    from ingest.warehouse import missing_table_errors
    from orchestration.report import write_report
    from orchestration.report.data import find_run, list_runs

    if args.list_runs:
        for run_id, started, tasks in list_runs(args.warehouse):
            print(f"{run_id}  {started:%Y-%m-%d %H:%M:%S %Z}  {tasks:>6,} tasks")
        return 0
    try:
        run_id = find_run(args.warehouse, args.run_id) if args.run_id else None
        output = write_report(args.warehouse, args.output, run_id=run_id, rules=rules)
    except missing_table_errors() as exc:
        raise UsageError(
            f"{args.warehouse} has no marts yet ({str(exc).splitlines()[0]}); run `cadence run` first"
        ) from exc
    print(f"report: {output}")
    return 0


# ---- public registries (NPPES, Order and Referring) ---------------------------------------------


def cmd_registries_load(args: argparse.Namespace) -> int:
    from ingest.errors import UsageError
    from orchestration.registries import describe, load_registries

    if args.nppes is None and not args.nppes_weekly and args.order_referring is None:
        raise UsageError("nothing to load: give --nppes FILE, --nppes-weekly FILE or --order-referring FILE")
    check_warehouse(args.warehouse)
    results = load_registries(args.warehouse, args.nppes, args.nppes_weekly or (), args.order_referring)
    for result in results:
        print(describe(result))
    return 0


def cmd_registries_generate(args: argparse.Namespace) -> int:
    import time

    from ingest.registries.sample import write_bulk_nppes

    started = time.monotonic()
    write_bulk_nppes(args.output, args.rows, seed=args.seed)
    size_mb = args.output.stat().st_size / 1e6
    seconds = time.monotonic() - started
    print(f"{args.rows:,} NPPES rows ({size_mb:,.0f} MB) written to {args.output} in {seconds:.1f} s")
    return 0


def cmd_registries_sample(args: argparse.Namespace) -> int:
    from ingest.errors import UsageError
    from ingest.registries.sample import write_territory_sample

    if not args.org.is_file():
        raise UsageError(f"org file {args.org} not found; run `cadence demo` once to generate it")
    written = write_territory_sample(args.org, args.output, seed=args.seed)
    if written is None:
        raise UsageError(f"org file {args.org} has no account with a billing address; regenerate it")
    print(f"registry samples for {args.org}: {written[0]}, {written[1]}")
    return 0


def _demo_registries(org: Path) -> dict[str, str | None]:
    """The demo's registry files: synthetic ones for its org's ZIPs (the nightly job loads them when
    they change), written beside the org file the first time; none for an org without addresses."""
    from ingest.registries.sample import write_territory_sample

    folder = org.parent / f"{org.stem}-registries"
    nppes, order_referring = folder / "npidata_pfile_sample.csv", folder / "OrderReferring_sample.csv"
    if not (nppes.is_file() and order_referring.is_file()) and write_territory_sample(org, folder) is None:
        return {}
    return {"registry_nppes": str(nppes), "registry_order_referring": str(order_referring)}


# ---- exports -------------------------------------------------------------------------------------


def cmd_export_marketing(args: argparse.Namespace) -> int:
    from orchestration.marketing import default_export_folder, export_marketing

    check_warehouse(args.warehouse)
    export = export_marketing(args.warehouse, args.output or default_export_folder(args.warehouse))
    print(export.describe())
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


def add_warehouse_argument(
    parser: argparse.ArgumentParser, default_help: str, default: Path | None = None
) -> None:
    """--warehouse: a DuckDB file or a postgresql:// URL (issue 16), parsed by WarehouseLocation."""
    parser.add_argument(
        "--warehouse",
        type=_warehouse_option,
        metavar="PATH|URL",
        default=default,
        help=f"DuckDB file or postgresql://user:password@host:port/db URL ({default_help})",
    )


def _warehouse_option(text: str) -> object:
    """argparse's type: a bad URL is argparse's usage error (exit 2), its password hidden."""
    from ingest.errors import SettingsError
    from ingest.warehouse import as_option

    try:
        return as_option(text)
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    _add_rules_argument(parser)
    parser.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the audit date, YYYY-MM-DD (default: today, UTC)",
    )
    add_warehouse_argument(
        parser, f"default: cadence.warehouse, else {DEFAULT_WAREHOUSE}; the demo: the latter"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print and record the writeback, write nothing"
    )
    parser.add_argument(
        "--max-tasks-per-run",
        type=positive_int,
        metavar="N",
        help="stop a runaway writeback: most task creates + closes per CRM and run "
        f"(default: cadence.max_tasks_per_run, else {defaults.MAX_TASKS_PER_RUN})",
    )
    parser.add_argument(
        "--override-quality-gate",
        action="store_true",
        help="write back even though a blocking data-quality check failed (when the change is real)",
    )
    parser.add_argument(
        "--allow-backdate",
        action="store_true",
        help="accept an --as-of before the last successful run's; the run then writes no task",
    )
    parser.add_argument(
        "--allow-queue-jump",
        action="store_true",
        help="write a create queue far above the recent nights' (rules queue_ratio_*): the change is real",
    )


class _Parser(argparse.ArgumentParser):
    """A usage error is one line naming the fix (argparse prints the whole usage first), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except the unset ones (None) and flags (False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cadence-warehouse")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cadence", description=__doc__.splitlines()[0], formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="run the nightly audit against the sandbox CRM (the README's first command)",
        formatter_class=_HelpFormatter,
    )
    demo.add_argument(
        "--org", type=Path, metavar="FILE", help=f"org file (default: generate {DEFAULT_DEMO_ORG})"
    )
    _add_run_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    run = commands.add_parser(
        "run",
        help="run the nightly cadence audit against the configured CRMs",
        formatter_class=_HelpFormatter,
    )
    _add_run_arguments(run)
    run.set_defaults(func=cmd_run)

    report = commands.add_parser(
        "report", help="write the cadence report (HTML, opens offline)", formatter_class=_HelpFormatter
    )
    add_warehouse_argument(report, f"default: {DEFAULT_WAREHOUSE}", default=DEFAULT_WAREHOUSE)
    report.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="HTML file (default: reports/ by the warehouse)"
    )
    report.add_argument(
        "--run-id", help="list the tasks this run wrote, by id or id prefix (default: the latest run)"
    )
    report.add_argument("--list-runs", action="store_true", help="list the runs in the warehouse and stop")
    _add_rules_argument(report)
    report.set_defaults(func=cmd_report)

    ingest = commands.add_parser(
        "ingest", help="sync one CRM into the warehouse's raw layer", formatter_class=_HelpFormatter
    )
    ingest.add_argument("crm", choices=["salesforce", "hubspot"])
    add_warehouse_argument(ingest, f"default: cadence.warehouse, else {DEFAULT_WAREHOUSE}")
    ingest.set_defaults(func=cmd_ingest)

    add_sandbox_commands(commands)
    add_doctor_command(commands)
    _add_bench_parser(commands)
    _add_registries_parser(commands)
    _add_export_parser(commands)
    add_prospects_command(commands)
    return parser


def _add_bench_parser(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser(
        "bench",
        help="size a nightly run on a generated org, step by step (the sandbox only, never a configured CRM)",
        formatter_class=_HelpFormatter,
    )
    bench.add_argument("--accounts", type=positive_int, default=10_000, help="accounts per CRM")
    bench.add_argument("--visits", type=positive_int, help="visits per CRM (default: 10 per account)")
    bench.add_argument(
        "--changed-pct", type=float, default=1.0, help="percent of records changed before a sync"
    )
    bench.add_argument(
        "--crm", choices=["salesforce", "hubspot", "both"], default="both", help="CRMs benched"
    )
    bench.add_argument(
        "--forced-tasks", type=positive_int, default=10_000, help="forced writeback size, in tasks per CRM"
    )
    bench.add_argument("--no-baseline", action="store_true", help="skip the per-record baseline ingest")
    bench.add_argument(
        "--nights", type=int, default=2, help="nightly job runs (the first night, then next nights)"
    )
    bench.add_argument("--workdir", type=Path, default=Path("var/bench"), help="orgs and scratch warehouses")
    bench.add_argument(
        "--engine",
        choices=["duckdb", "postgres", "both"],
        default="duckdb",
        help="warehouse engine(s): both = a pass each, then the steps side by side",
    )
    bench.add_argument(
        "--postgres",
        metavar="URL",
        help="admin URL of a PostgreSQL server where the bench may drop and create databases "
        "cadence_bench_* (default: a throwaway server from Debian's postgresql package)",
    )
    bench.add_argument(
        "-o", "--output", type=Path, default=Path("var/bench/results.json"), help="figures, JSON"
    )
    bench.set_defaults(func=cmd_bench)


def _add_registries_parser(commands: argparse._SubParsersAction) -> None:
    registries = commands.add_parser(
        "registries", help="load the public provider registries (CMS NPPES, Order and Referring)",
        formatter_class=_HelpFormatter,
    )
    actions = registries.add_subparsers(dest="registries_command", required=True)
    load = actions.add_parser(
        "load", help="load registry files into the warehouse (raw_registries)", formatter_class=_HelpFormatter
    )
    load.add_argument(
        "--nppes", type=Path, metavar="FILE", help="NPPES monthly full file (npidata_pfile_*.csv): replaces"
    )
    load.add_argument(
        "--nppes-weekly", type=Path, metavar="FILE", action="append",
        help="NPPES weekly incremental file, repeatable, oldest first: upserts by NPI",
    )
    load.add_argument(
        "--order-referring", type=Path, metavar="FILE", help="CMS Order and Referring CSV: replaces"
    )
    add_warehouse_argument(load, f"default: {DEFAULT_WAREHOUSE}", default=DEFAULT_WAREHOUSE)
    load.set_defaults(func=cmd_registries_load)
    generate = actions.add_parser(
        "generate", help="write a synthetic NPPES file of N rows in the real layout (to size a load)",
        formatter_class=_HelpFormatter,
    )
    generate.add_argument("--rows", type=positive_int, default=2_000_000, help="rows")
    generate.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="CSV file")
    generate.add_argument("--seed", type=int, default=7, help="random seed")
    generate.set_defaults(func=cmd_registries_generate)
    sample = actions.add_parser(
        "sample", help="write small synthetic NPPES and Order and Referring files for an org's territory",
        formatter_class=_HelpFormatter,
    )
    sample.add_argument("--org", type=Path, default=DEFAULT_DEMO_ORG, metavar="FILE", help="org file")
    sample.add_argument(
        "-o", "--output", type=Path, default=Path("var/registries"), metavar="DIR", help="folder"
    )
    sample.add_argument("--seed", type=int, default=7, help="random seed")
    sample.set_defaults(func=cmd_registries_sample)


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export", help="write a list from the marts as files", formatter_class=_HelpFormatter
    )
    lists = export.add_subparsers(dest="export_command", required=True)
    marketing = lists.add_parser(
        "marketing",
        help="marketing's top accounts and registry candidates per rep (marts.marketing_top_accounts), "
        "CSV and Parquet",
        formatter_class=_HelpFormatter,
    )
    marketing.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="folder (default: exports/marketing beside the warehouse; PostgreSQL: in the working directory)",
    )
    add_warehouse_argument(marketing, f"default: {DEFAULT_WAREHOUSE}", default=DEFAULT_WAREHOUSE)
    marketing.set_defaults(func=cmd_export_marketing)


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
