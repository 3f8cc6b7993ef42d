"""The bench and the demo build their own sandbox settings: a CRM configured for real runs (here a
second sandbox, in `.dlt/` and `SOURCES__*`) receives no call from them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ingest.sandbox import RunningSandbox
from orchestration.cli import main
from orchestration.settings import load_settings
from tests.conftest import StartSandbox
from tests.helpers import configure_as_production, crm_calls
from tests.orchestration.org import AS_OF, hand_made_org


@pytest.fixture
def production(
    start_sandbox: StartSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RunningSandbox:
    running = start_sandbox(hand_made_org(), "production.json")
    configure_as_production(running, tmp_path, monkeypatch)
    settings = load_settings()  # a real run would audit both CRMs of this sandbox
    assert settings.salesforce and settings.salesforce.login_url == running.https_url
    assert settings.hubspot and settings.hubspot.base_url == running.http_url
    return running


def test_the_bench_never_calls_the_configured_crms(production: RunningSandbox, tmp_path: Path) -> None:
    argv = ["bench", "--accounts", "200", "--no-baseline", "--nights", "1", "--crm", "salesforce"]
    argv += ["--forced-tasks", "10", "--workdir", str(tmp_path / "bench"), "-o", str(tmp_path / "bench.json")]
    assert main(argv) == 0
    nightly = [
        s
        for s in orjson.loads((tmp_path / "bench.json").read_bytes())["steps"]
        if s["step"].startswith("nightly")
    ]
    assert nightly and nightly[0]["api_calls"] > 0  # the bench's own sandbox did the work
    assert crm_calls(production) == {}


def test_the_demo_never_calls_the_configured_crms(
    production: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "demo-org.json"
    org.write_bytes(orjson.dumps(hand_made_org()))
    argv = [
        "demo",
        "--org",
        str(org),
        "--warehouse",
        str(tmp_path / "demo.duckdb"),
        "--as-of",
        AS_OF.isoformat(),
    ]
    assert main(argv) == 0
    assert "succeeded" in capsys.readouterr().out
    assert crm_calls(production) == {}
