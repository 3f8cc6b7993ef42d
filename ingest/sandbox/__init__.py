"""The sandbox CRM: a local stand-in for Salesforce and HubSpot that speaks their wire APIs.

Layout (moto's): `core/` is CRM-neutral (HTTP types, app and routing, faults, control surface,
listeners, store, clock); `salesforce/` and `hubspot/` each hold routes, responses, models and
errors; `soql/` parses and evaluates SOQL; `generator/` writes org files; `cli.py` is
`cadence sandbox ...` (also `python -m ingest.sandbox`).
"""

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Request, Response
from ingest.sandbox.core.listeners import RunningSandbox
from ingest.sandbox.credentials import SandboxCredentials
from ingest.sandbox.org import OrgStore
from ingest.sandbox.service import make_sandbox, serve_sandbox

__all__ = [
    "ApiError",
    "Fault",
    "OrgStore",
    "Request",
    "Response",
    "RunningSandbox",
    "Sandbox",
    "SandboxCredentials",
    "make_sandbox",
    "serve_sandbox",
]
