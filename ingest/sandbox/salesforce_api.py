"""salesforce wire API of the sandbox (placeholder until built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.sandbox.server import Sandbox


def register(sandbox: Sandbox) -> None:
    """Add this API's routes to the sandbox."""
