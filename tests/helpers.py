"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox
from ingest.sandbox.core.clock import running_from
from ingest.sandbox_settings import hubspot_config, salesforce_config


@contextmanager
def serve_org(document: dict[str, Any], directory: Path, name: str = "org.json") -> Iterator[RunningSandbox]:
    """Write the org to directory/name and serve it over real HTTPS/HTTP until the block ends."""
    org_path = directory / name
    org_path.write_bytes(orjson.dumps(document))
    with serve_sandbox(OrgStore.load(org_path), ca_dir=directory / f"{name}.ca") as running:
        yield running


def configure_as_production(running: RunningSandbox, workdir: Path, monkeypatch: Any) -> None:
    """Point a real run's settings at `running` twice over: `.dlt/` in `workdir` (made the working
    directory) and `SOURCES__*` env vars, as an admin who set up production would have."""
    sf, hs = salesforce_config(running), hubspot_config(running)
    (workdir / ".dlt").mkdir(exist_ok=True)
    (workdir / ".dlt" / "config.toml").write_text(
        f'[sources.salesforce]\nlogin_url = "{sf.login_url}"\nclient_id = "{sf.client_id}"\n'
        f'ca_bundle = "{sf.ca_bundle}"\n\n[sources.hubspot]\nbase_url = "{hs.base_url}"\n',
        encoding="utf-8",
    )
    (workdir / ".dlt" / "secrets.toml").write_text(
        f'[sources.salesforce]\nclient_secret = "{sf.client_secret}"\n', encoding="utf-8"
    )
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESS_TOKEN", hs.access_token)
    monkeypatch.setenv("SOURCES__SALESFORCE__CLIENT_ID", sf.client_id)
    monkeypatch.chdir(workdir)


def crm_calls(running: RunningSandbox) -> dict[str, int]:
    """The CRM API calls the sandbox answered (its /__sandbox/counters, without the control calls)."""
    counters = running.control("GET", "/__sandbox/counters")
    return {name: count for name, count in counters.items() if not name.startswith("control.") and count}


def start_clock_at(running: RunningSandbox, moment: datetime) -> None:
    """Start the sandbox clock at `moment` (an org's "today") and let it run, as production time does."""
    running.store.set_clock(running_from(moment))


def after_search_lag(running: RunningSandbox) -> None:
    """Move the sandbox clock past the realistic HubSpot search lag (3 s), still running: search then
    sees the writes made so far, as a sync a few seconds after them would."""
    start_clock_at(running, running.store.now() + timedelta(seconds=4))


# ---- the first full dbt parse of a worker before a night's clock, not inside it --------------------
def warm_parse_cache(warehouse: Path, rules_file: str | None = None) -> None:
    """Make sure dbt's partial-parse seed for a warehouse of this file name and these rules exists
    before a test's night starts: the night's dbt child then copies it into the new warehouse's target
    (orchestration/dbt_child.py), and the full parse a worker's first night would pay happens here,
    once per process, outside the night's clock. A parse in a folder of its own publishes the seed."""
    from ingest.warehouse import WarehouseLocation
    from orchestration.rules import find_rules

    if WarehouseLocation.parse(warehouse).is_postgres:  # its profile names a server: no seed shared
        return
    with suppress(Exception):  # a bad rules file is the run's own error to report, not this helper's
        rules = find_rules(rules_file)
        if not _seed_exists(Path(warehouse), rules):  # another worker's parse left it: no dbt start here
            _parse_once(Path(warehouse).name, json.dumps(rules.dbt_vars(), default=str))


def _seed_exists(warehouse: Path, rules: Any) -> bool:
    from ingest.warehouse import WarehouseLocation
    from orchestration.dbt_child import PARTIAL_PARSE_FILE
    from orchestration.dbt_runner import dbt_args, parse_seed, warehouse_env

    profile = warehouse_env(WarehouseLocation.parse(warehouse))
    return (parse_seed(profile, dbt_args(["build"], rules=rules)) / PARTIAL_PARSE_FILE).exists()


@functools.cache
def _parse_once(name: str, rules_vars: str) -> None:
    """One parse per (file name, rules) per process, in a folder removed at exit (partial when the
    seed is there already). `rules_vars`: the rules' dbt vars as JSON, as the night's build passes them."""
    from orchestration.dbt_runner import run_dbt

    folder = Path(tempfile.mkdtemp(prefix="cadence-parse-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    run_dbt(["parse", "--quiet"], folder / name, vars=json.loads(rules_vars))
