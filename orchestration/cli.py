"""`cadence`: the command line of the cadence warehouse.

Every command that can fail on bad input ends with a one-line message naming the fix and a
non-zero exit (2), never a traceback; `CADENCE_DEBUG=1` shows the traceback for bug reports.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from ingest.sandbox_settings import hubspot_config, salesforce_config

DEFAULT_WAREHOUSE = Path("var/warehouse.duckdb")
DEFAULT_DEMO_ORG = Path("var/demo-org.json")
# About a quarter of a generated org's accounts are overdue: 1,000 keeps the first night's writeback
# (~250 tasks per CRM) well inside the default max_tasks_per_run of 500.
DEMO_ACCOUNTS = 1000


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


# ---- sandbox ------------------------------------------------------------------------------------


def cmd_sandbox_generate(args: argparse.Namespace) -> int:
    from ingest.sandbox.generator import generate_org, org_summary, write_org

    crms = ("salesforce", "hubspot") if args.crm == "both" else (args.crm,)
    started = time.perf_counter()
    document = generate_org(
        accounts=args.accounts, seed=args.seed, visits=args.visits, crms=crms, anchor_date=args.anchor_date
    )
    write_org(document, args.output)
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{name} {count:,}" for name, count in org_summary(document).items())
    print(f"wrote {args.output} in {elapsed:.1f} s: {counts}")
    return 0


def cmd_sandbox_serve(args: argparse.Namespace) -> int:
    from ingest.sandbox import OrgStore, serve_sandbox

    if not args.org.exists():
        raise SystemExit(
            f"error: org file {args.org} not found; create one with `cadence sandbox generate -o FILE`"
        )
    store = OrgStore.load(args.org, persist_delay=0.2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with serve_sandbox(store, https_port=args.port, http_port=args.http_port, ca_dir=args.ca_dir) as running:
        credentials = running.sandbox.credentials
        print(f"sandbox CRM serving {args.org} (Ctrl-C to stop; writes are saved to the org file)")
        print("point the pipeline at it with:")
        print(f"  export SOURCES__SALESFORCE__LOGIN_URL={running.https_url}")
        print(f"  export SOURCES__SALESFORCE__CLIENT_ID={credentials.salesforce_client_id}")
        print("  export SOURCES__SALESFORCE__CLIENT_SECRET=<the sandbox client secret, see README>")
        print(f"  export SOURCES__SALESFORCE__CA_BUNDLE={running.ca_path}")
        print(f"  export SOURCES__HUBSPOT__BASE_URL={running.http_url}")
        print("  export SOURCES__HUBSPOT__ACCESS_TOKEN=<the sandbox token, see README>")
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


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

    options = _run_options(args, RunOptions)
    summary = run_nightly_audit(configured_crms(), options)
    print(summary.render())
    return 0 if summary.succeeded else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from ingest.sandbox import OrgStore, serve_sandbox
    from ingest.sandbox.generator import generate_org, write_org
    from orchestration.runtime import RunOptions, run_nightly_audit

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

    if not args.warehouse.exists():
        raise SystemExit(f"error: warehouse {args.warehouse} not found; run `cadence demo` or `cadence run`")
    try:
        output = write_report(args.warehouse, args.output, run_id=args.run_id)
    except duckdb.CatalogException as exc:
        raise SystemExit(
            f"error: {args.warehouse} has no marts yet ({str(exc).splitlines()[0]}); run `cadence run` first"
        ) from exc
    print(f"report: {output}")
    return 0


# ---- parser -------------------------------------------------------------------------------------


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=_date, help="the audit date (default: today, UTC)")
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file")
    parser.add_argument(
        "--dry-run", action="store_true", help="print and record the writeback, write nothing"
    )
    parser.add_argument(
        "--max-tasks-per-run", type=_positive_int, default=500, help="stop a runaway writeback"
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
    report.set_defaults(func=cmd_report)

    ingest = commands.add_parser("ingest", help="sync one CRM into the warehouse's raw layer")
    ingest.add_argument("crm", choices=["salesforce", "hubspot"])
    ingest.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    ingest.set_defaults(func=cmd_ingest)

    sandbox = commands.add_parser("sandbox", help="the local CRM stand-in").add_subparsers(
        dest="action", required=True
    )
    serve = sandbox.add_parser("serve", help="serve an org file over the Salesforce and HubSpot APIs")
    serve.add_argument("--org", type=Path, required=True)
    serve.add_argument("--port", type=int, default=8443, help="HTTPS port (Salesforce and HubSpot)")
    serve.add_argument("--http-port", type=int, default=8080, help="plain HTTP port (HubSpot and Salesforce)")
    serve.add_argument(
        "--ca-dir", type=Path, default=Path("var/sandbox-ca"), help="where the CA's PEM is written"
    )
    serve.set_defaults(func=cmd_sandbox_serve)
    generate = sandbox.add_parser("generate", help="write a realistic, deterministic org file")
    generate.add_argument("--accounts", type=_positive_int, default=2000, help="accounts per CRM")
    generate.add_argument(
        "--visits", type=_positive_int, help="visits per CRM (default about 10 per account)"
    )
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--crm", choices=["salesforce", "hubspot", "both"], default="both")
    generate.add_argument("--anchor-date", type=_date, help="the org's 'today' (default: today, UTC)")
    generate.add_argument("-o", "--output", type=Path, required=True)
    generate.set_defaults(func=cmd_sandbox_generate)
    _add_bench_parser(commands)
    return parser


def _add_bench_parser(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="size a nightly run on a generated org, step by step")
    bench.add_argument("--accounts", type=_positive_int, default=10_000, help="accounts per CRM")
    bench.add_argument("--visits", type=_positive_int, help="visits per CRM (default 10 per account)")
    bench.add_argument("--changed-pct", type=float, default=1.0, help="%% of records changed before a sync")
    bench.add_argument("--crm", choices=["salesforce", "hubspot", "both"], default="both")
    bench.add_argument("--forced-tasks", type=_positive_int, default=10_000, help="forced writeback size")
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
