"""The sandbox CRM: a local stand-in for Salesforce and HubSpot that speaks their wire APIs.

Layout (moto's): `core/` is CRM-neutral (HTTP types, app and routing, faults, control surface,
listeners, store, clock); `salesforce/` and `hubspot/` each hold routes, responses, models and
errors; `soql/` parses and evaluates SOQL; `generator/` writes org files; `cli.py` is
`cadence sandbox ...` (also `python -m ingest.sandbox`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.sandbox.core.app import Sandbox
    from ingest.sandbox.core.faults import Fault
    from ingest.sandbox.core.http import ApiError, Request, Response
    from ingest.sandbox.core.listeners import RunningSandbox
    from ingest.sandbox.core.store import OrgFileError
    from ingest.sandbox.credentials import SandboxCredentials
    from ingest.sandbox.org import OrgStore
    from ingest.sandbox.service import make_sandbox, serve_sandbox

# Imported on first use (PEP 562), so `cadence --help` does not load the whole sandbox.
_HOMES = {
    "ApiError": "ingest.sandbox.core.http",
    "Fault": "ingest.sandbox.core.faults",
    "OrgFileError": "ingest.sandbox.core.store",
    "OrgStore": "ingest.sandbox.org",
    "Request": "ingest.sandbox.core.http",
    "Response": "ingest.sandbox.core.http",
    "RunningSandbox": "ingest.sandbox.core.listeners",
    "Sandbox": "ingest.sandbox.core.app",
    "SandboxCredentials": "ingest.sandbox.credentials",
    "make_sandbox": "ingest.sandbox.service",
    "serve_sandbox": "ingest.sandbox.service",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "ApiError",
    "Fault",
    "OrgFileError",
    "OrgStore",
    "Request",
    "Response",
    "RunningSandbox",
    "Sandbox",
    "SandboxCredentials",
    "make_sandbox",
    "serve_sandbox",
]
