"""Full-sync benchmark: a generated org, served by the sandbox in its own process, into a fresh warehouse.

    .venv/bin/python -m ingest.salesforce.benchmark --accounts 100000 --visits 1000000 --workdir var/bench

Prints rows/s, wall time, this process's peak memory, and query calls against the minimum
(ceil(rows / 2000) per object). The org file is generated once into --workdir and reused.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from ingest.pipeline import make_pipeline
from ingest.salesforce import sync_salesforce
from ingest.salesforce.settings import MAX_PAGE_SIZE, SALESFORCE_OBJECTS


def _serve(org_path: Path, ca_dir: Path, ready: Any, stop: Any) -> None:
    from ingest.sandbox import OrgStore, serve_sandbox

    with serve_sandbox(OrgStore.load(org_path), ca_dir=ca_dir) as running:
        ready.send((running.https_url, str(running.ca_path)))
        stop.wait()
        ready.send(dict(running.counters))


def _org_file(workdir: Path, accounts: int, visits: int) -> tuple[Path, dict[str, int]]:
    """The generated org (made once) and its record count per object (kept beside it)."""
    from ingest.sandbox.generator import generate_org, write_org

    path = workdir / f"org-{accounts}-{visits}.json"
    counts_path = path.with_suffix(".counts.json")
    if not (path.exists() and counts_path.exists()):
        document = generate_org(
            accounts=accounts, seed=7, visits=visits, crms=("salesforce",), anchor_date=date(2026, 3, 1)
        )
        counts = {name: len(rows) for name, rows in document["salesforce"].items() if isinstance(rows, list)}
        write_org(document, path)
        counts_path.write_bytes(orjson.dumps(counts))
    return path, orjson.loads(counts_path.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--objects", nargs="*", help="sobjects to sync (default: all)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    org_path, counts = _org_file(args.workdir, args.accounts, args.visits)
    warehouse = args.workdir / "salesforce-bench.duckdb"
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(args.workdir / f".dlt-{warehouse.stem}", ignore_errors=True)

    from ingest.sandbox.server import SandboxCredentials

    ours, theirs = multiprocessing.Pipe()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(org_path, args.workdir / "ca", theirs, stop))
    server.start()
    try:
        https_url, ca_path = ours.recv()
        credentials = SandboxCredentials()
        from ingest.config import SalesforceConfig

        config = SalesforceConfig(
            login_url=https_url,
            client_id=credentials.salesforce_client_id,
            client_secret=credentials.salesforce_client_secret,
            ca_bundle=ca_path,
        )
        started = time.perf_counter()
        result = sync_salesforce(config, warehouse, objects=args.objects)
        wall = time.perf_counter() - started
    finally:
        stop.set()
    server_counters = ours.recv()
    server.join()
    rows = sum(result.rows_by_table.values())
    minimum = sum(
        math.ceil(counts.get(name, 0) / MAX_PAGE_SIZE) or 1 for name in args.objects or SALESFORCE_OBJECTS
    )
    queries = server_counters.get("salesforce.query", 0) + server_counters.get("salesforce.query_more", 0)
    print(f"rows by table: {result.rows_by_table}")
    print(f"wall {wall:.1f} s, {rows / wall:,.0f} rows/s, peak RSS {_peak_rss_gb():.2f} GB (ingest process)")
    print(f"query calls {queries} (minimum {minimum}); all API calls {result.api_calls}")
    trace = make_pipeline("salesforce", warehouse).last_trace  # dlt keeps the last run's trace on disk
    steps = ", ".join(f"{s.step} {(s.finished_at - s.started_at).total_seconds():.1f} s" for s in trace.steps)
    print(f"dlt steps: {steps}")


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # Linux reports KiB


if __name__ == "__main__":
    main()
