"""Shared fixtures: a sandbox CRM served over real HTTPS/HTTP from an org file in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox

StartSandbox = Callable[..., RunningSandbox]


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[StartSandbox]:
    """start_sandbox(document) -> RunningSandbox; the org is written to tmp_path/org.json first."""
    with ExitStack() as stack:

        def start(document: dict[str, Any], name: str = "org.json") -> RunningSandbox:
            org_path = tmp_path / name
            org_path.write_bytes(orjson.dumps(document))
            store = OrgStore.load(org_path)
            return stack.enter_context(serve_sandbox(store, ca_dir=tmp_path / f"{name}.ca"))

        yield start
