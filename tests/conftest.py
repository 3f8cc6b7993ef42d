"""Shared fixtures: a sandbox CRM served over real HTTPS/HTTP from an org file in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ingest.sandbox import RunningSandbox
from orchestration.bench.postgres_server import PostgresServer, start_server
from tests.helpers import serve_org

pytest_plugins = ["tests.parallel"]  # running on several workers (make test)

StartSandbox = Callable[..., RunningSandbox]

# The fast layer is an explicit opt-in: only tests/unit/ (pure functions, no sandbox server, no dbt, no
# Dagster, no browser). Everything else is `slow`, so a new end-to-end file can never slip into
# `make test-fast` unmarked.
_UNIT_DIR = Path(__file__).resolve().parent / "unit"
_SERVER_FIXTURES = frozenset({"start_sandbox"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak-nights", type=int, choices=(10, 30), default=10,
        help="nights of tests/soak: 10 in make test, 30 in make soak (issue 18's thirty-night soak)",
    )  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _UNIT_DIR not in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.slow)
        elif _SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            raise pytest.UsageError(f"{item.nodeid} starts a sandbox server: move it out of tests/unit/")


@pytest.fixture(autouse=True, scope="session")
def _built_in_rules() -> Iterator[None]:
    """Tests run on the built-in business rules unless they pass a rules file: a developer's
    CADENCE_RULES must not change what the tests expect."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CADENCE_RULES", raising=False)
        yield


# The settings of a real run: no test may read them from the machine it runs on.
_REAL_RUN_ENV = ("SOURCES__", "CADENCE__", "CADENCE_WAREHOUSE")


@pytest.fixture(autouse=True)
def _no_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(_REAL_RUN_ENV):
            monkeypatch.delenv(name)


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[StartSandbox]:
    """start_sandbox(document) -> RunningSandbox; the org is written to tmp_path/org.json first."""
    with ExitStack() as stack:

        def start(document: dict[str, Any], name: str = "org.json") -> RunningSandbox:
            return stack.enter_context(serve_org(document, tmp_path, name))

        yield start


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The run's PostgreSQL server: the one the xdist controller started (or $CW_TEST_POSTGRES_URL),
    else one this worker starts for itself (orchestration/bench/postgres_server.py)."""
    from tests.parallel import server_from_env  # the plugin's module: imported by pytest, not here

    shared = server_from_env()
    if shared is not None:
        yield shared
        return
    own = start_server()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A new empty database of the test's own on the run's server."""
    import uuid

    return postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
