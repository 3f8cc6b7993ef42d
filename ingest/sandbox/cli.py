"""The sandbox's own command line: `cadence sandbox serve|generate`, also `python -m ingest.sandbox`.

User errors (a missing org file, a port in use) end with one line on stderr and exit code 2, never a
traceback. `serve` prints its settings as `export NAME=value` lines (values shell-quoted) that paste
into a shell as they are; the sandbox's credentials are public on purpose, so they are printed too.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.sandbox.core.listeners import RunningSandbox
    from ingest.sandbox.org import OrgStore

USAGE_ERROR = 2


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return USAGE_ERROR


# ---- commands -----------------------------------------------------------------------------------


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
    from ingest.sandbox import OrgFileError, serve_sandbox

    if not args.org.exists():
        return _fail(f"org file {args.org} not found; create one with `cadence sandbox generate -o FILE`")
    try:
        store = load_org_file(args.org)
    except OrgFileError as exc:
        return _fail(str(exc))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ExitStack() as stack:
        try:
            running: RunningSandbox = stack.enter_context(
                serve_sandbox(store, https_port=args.port, http_port=args.http_port, ca_dir=args.ca_dir)
            )
        except OSError as exc:  # EADDRINUSE, EACCES (a port below 1024), ...
            return _fail(
                f"cannot listen on ports {args.port} (HTTPS) and {args.http_port} (HTTP): {exc.strerror}; "
                "choose free ones with --port and --http-port (0 picks any free port)"
            )
        print(f"# sandbox CRM serving {args.org} (Ctrl-C to stop; writes are saved to the org file)")
        print("# point the pipeline at it (the sandbox's credentials are public on purpose):")
        for line in export_lines(running):
            print(line)
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def load_org_file(path: Path, persist_delay: float = 0.2) -> OrgStore:
    """The org a user named (serve, demo): OrgFileError, one line, unless it is a file holding at least
    one CRM's section. `{}` or `{"salesforce": null}` would serve nothing and let a run "succeed"."""
    from ingest.sandbox import OrgFileError, OrgStore

    store = OrgStore.load(path, persist_delay=persist_delay)
    if not store.present:
        store.close()
        raise OrgFileError(
            f"org file {path} has no \"salesforce\" or \"hubspot\" section; "
            "create one with `cadence sandbox generate -o FILE` (format: docs/sandbox.md)"
        )
    return store


def export_lines(running: RunningSandbox) -> list[str]:
    """`export NAME=value` lines, values shell-quoted, for the pipeline's settings of this sandbox."""
    credentials = running.credentials
    settings = {
        "SOURCES__SALESFORCE__LOGIN_URL": running.https_url,
        "SOURCES__SALESFORCE__CLIENT_ID": credentials.salesforce_client_id,
        "SOURCES__SALESFORCE__CLIENT_SECRET": credentials.salesforce_client_secret,
        "SOURCES__SALESFORCE__CA_BUNDLE": str(running.ca_path),
        "SOURCES__HUBSPOT__BASE_URL": running.http_url,
        "SOURCES__HUBSPOT__ACCESS_TOKEN": credentials.hubspot_token,
        # Not a pipeline setting: the header value tests and scripts send to /__sandbox/... controls.
        "CADENCE_SANDBOX_CONTROL_TOKEN": running.control_token,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in settings.items()]


# ---- parser -------------------------------------------------------------------------------------


def _add_actions(actions: argparse._SubParsersAction) -> None:
    serve = actions.add_parser("serve", help="serve an org file over the Salesforce and HubSpot APIs")
    serve.add_argument("--org", type=Path, required=True, help="org file (JSON, see sandbox.md)")
    serve.add_argument(
        "--port", type=int, default=8443, help="HTTPS port, Salesforce and HubSpot (default: %(default)s)"
    )
    serve.add_argument(
        "--http-port",
        type=int,
        default=8080,
        help="plain HTTP port, HubSpot and Salesforce (default: %(default)s)",
    )
    serve.add_argument(
        "--ca-dir",
        type=Path,
        default=Path("var/sandbox-ca"),
        help="where the CA's PEM is written (default: %(default)s)",
    )
    serve.set_defaults(func=cmd_sandbox_serve)
    generate = actions.add_parser("generate", help="write a realistic, deterministic org file")
    generate.add_argument(
        "--accounts", type=positive_int, default=2000, help="accounts per CRM (default: %(default)s)"
    )
    generate.add_argument("--visits", type=positive_int, help="visits per CRM (default about 10 per account)")
    generate.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    generate.add_argument("--crm", choices=["salesforce", "hubspot", "both"], default="both")
    generate.add_argument("--anchor-date", type=iso_date, help="the org's 'today' (default: today, UTC)")
    generate.add_argument("-o", "--output", type=Path, required=True, help="org file to write")
    generate.set_defaults(func=cmd_sandbox_generate)


def add_sandbox_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `sandbox serve|generate` to a command line's subparsers (the `cadence` CLI calls this)."""
    sandbox = subparsers.add_parser("sandbox", help="the local CRM stand-in")
    _add_actions(sandbox.add_subparsers(dest="action", required=True))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.sandbox", description=__doc__.splitlines()[0])
    _add_actions(parser.add_subparsers(dest="action", required=True))
    args = parser.parse_args(argv)
    return args.func(args)
