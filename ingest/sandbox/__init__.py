"""The sandbox CRM: a local stand-in for Salesforce and HubSpot that speaks their wire APIs."""

from ingest.sandbox.server import (
    ApiError,
    Fault,
    Request,
    Response,
    RunningSandbox,
    Sandbox,
    SandboxCredentials,
    serve_sandbox,
)
from ingest.sandbox.store import OrgStore

__all__ = [
    "ApiError",
    "Fault",
    "OrgStore",
    "Request",
    "Response",
    "RunningSandbox",
    "Sandbox",
    "SandboxCredentials",
    "serve_sandbox",
]
