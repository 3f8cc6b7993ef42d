"""Checks of what a user typed, before any connection or slow import: one line naming the fix each.

A URL that does not parse, an `http://` Salesforce login, a CA bundle that is not a file, a warehouse
path that cannot be a DuckDB file: each would otherwise surface deep in requests or DuckDB as a
traceback, or as a misleading "TLS handshake failed" after retries.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.errors import SettingsError, UsageError
from ingest.warehouse import WarehouseLocation, connect

if TYPE_CHECKING:  # importing ingest.config loads dlt (seconds): not for `cadence --help`
    from ingest.config import CrmConfig

DUCKDB_MAGIC = b"DUCK"  # bytes 8-12 of every DuckDB database file (its storage header)
URL_SETTINGS = {"salesforce": "login_url", "hubspot": "base_url"}


def check_crm_settings(crm: str, config: CrmConfig) -> None:
    """SettingsError (one line) when a CRM's URL or CA bundle cannot work, whatever the network says."""
    key = URL_SETTINGS[crm]
    _check_url(config.env_name(key), getattr(config, key), https_only=crm == "salesforce")
    ca_bundle = getattr(config, "ca_bundle", None)
    if ca_bundle and not Path(ca_bundle).is_file():
        why = "is a directory" if Path(ca_bundle).is_dir() else "does not exist"
        raise SettingsError(
            f"{config.env_name('ca_bundle')} is {ca_bundle}, which {why}: point it at the PEM file of the CA "
            "that signed the CRM's certificate, or unset it to trust the system's CAs"
        )


def _check_url(name: str, url: str, https_only: bool) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check ("host:abc" raises ValueError)
    except ValueError as error:
        raise SettingsError(f"{name} is {url!r}, which is not a URL ({error}): write https://host") from error
    if parts.scheme not in ("https", "http") or not parts.hostname or " " in url:
        raise SettingsError(f"{name} is {url!r}, which is not a URL: write https://host, e.g. {_EXAMPLE}")
    if https_only and parts.scheme == "http":
        # Salesforce serves its APIs over TLS only; an http:// login would fail as a "TLS problem".
        raise SettingsError(
            f"{name} is {url!r}: Salesforce logins need https://; write https://{parts.netloc}"
        )


_EXAMPLE = "https://acme.my.salesforce.com"


def check_warehouse(path: Path | WarehouseLocation) -> None:
    """UsageError unless `path` is, or can become, a DuckDB file; for a PostgreSQL URL, that the server
    takes the login (WarehouseUnavailable, one line, no password). Checked before any work."""
    if isinstance(path, WarehouseLocation):
        if path.is_postgres:
            connect(path).close()
            return
        path = path.path or Path()
    path = Path(path)
    if path.is_dir():
        example = path / "warehouse.duckdb"
        raise UsageError(f"warehouse {path} is a directory; pass a file, e.g. --warehouse {example}")
    blocking = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise UsageError(f"warehouse {path}: {blocking} is a file, not a folder; choose another --warehouse")
    if path.exists() and not _is_duckdb(path):
        raise UsageError(f"warehouse {path} is not a DuckDB database; choose another --warehouse path")


def _is_duckdb(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError:
        return False
    return len(header) == 0 or header[8:12] == DUCKDB_MAGIC


# DuckDB's lock error names the holder: 'Conflicting lock is held in /usr/bin/python3.11 (PID 4242)'.
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def check_warehouse_unlocked(path: Path | WarehouseLocation) -> None:
    """UsageError (one line, exit 2) when another process holds the warehouse file open.

    DuckDB allows one writing process, or several readers and no writer: a BI tool or a notebook that
    holds the file open, even read-only, makes the run's first write fail. Found here, before the sync,
    instead of after it (issue 16): the night's API calls are not spent on a load that cannot land.
    The lock is released at once; a reader that opens the file later still fails the run, at its first write.
    """
    import duckdb

    if isinstance(path, WarehouseLocation):
        if path.path is None:  # PostgreSQL: readers never block the run's writes
            return
        path = path.path
    path = Path(path)
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        holder = _LOCK_HOLDER.search(str(error))
        if holder is None:
            raise
        raise UsageError(
            f"warehouse {path} is open in another process ({holder['program']}, PID {holder['pid']}): "
            "close it (a BI tool, notebook or `duckdb` shell holding the file) and run again"
        ) from error
