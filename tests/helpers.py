"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox


@contextmanager
def serve_org(document: dict[str, Any], directory: Path, name: str = "org.json") -> Iterator[RunningSandbox]:
    """Write the org to directory/name and serve it over real HTTPS/HTTP until the block ends."""
    org_path = directory / name
    org_path.write_bytes(orjson.dumps(document))
    with serve_sandbox(OrgStore.load(org_path), ca_dir=directory / f"{name}.ca") as running:
        yield running
