"""The sandbox CRM assembled: the core app with the Salesforce and HubSpot APIs mounted, served."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.listeners import RunningSandbox, serve
from ingest.sandbox.core.store import DocumentStore
from ingest.sandbox.credentials import SandboxCredentials
from ingest.sandbox.hubspot import routes as hubspot_routes
from ingest.sandbox.salesforce import routes as salesforce_routes


def make_sandbox(
    store: DocumentStore, credentials: SandboxCredentials | None = None, control_token: str | None = None
) -> Sandbox:
    """One app serving both CRMs from one org store (a random control token unless one is given)."""
    return Sandbox(
        store,
        credentials or SandboxCredentials(),
        apis=(salesforce_routes.register, hubspot_routes.register),
        control_token=control_token,
    )


@contextmanager
def serve_sandbox(
    store: DocumentStore,
    host: str = "127.0.0.1",
    https_port: int = 0,
    http_port: int = 0,
    ca_dir: Path | None = None,
    credentials: SandboxCredentials | None = None,
    control_token: str | None = None,
) -> Iterator[RunningSandbox]:
    """Serve the org on loopback (HTTPS and HTTP) until the block ends; the org is flushed on exit."""
    sandbox = make_sandbox(store, credentials, control_token)
    with serve(sandbox, host, https_port, http_port, ca_dir) as running:
        yield running
