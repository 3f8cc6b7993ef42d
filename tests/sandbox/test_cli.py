"""`cadence sandbox serve` as a user runs it: a subprocess, its stdout pasted into bash, its exit codes."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ingest.sandbox import SandboxCredentials

CADENCE = Path(sys.executable).with_name("cadence")
EXPORT = re.compile(r"^export (SOURCES__\w+|CADENCE_SANDBOX_CONTROL_TOKEN)=")


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "org.json"
    path.write_bytes(orjson.dumps({"salesforce": {"Account": []}, "hubspot": {"companies": []}}))
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield listening.getsockname()[1]


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CADENCE), "sandbox", "serve", *args], capture_output=True, text=True, timeout=60
    )


def test_port_in_use_is_one_line_and_exit_2(org_file: Path, busy_port: int, tmp_path: Path) -> None:
    done = _serve("--org", str(org_file), "--port", str(busy_port), "--http-port", "0",
                  "--ca-dir", str(tmp_path / "ca"))  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: cannot listen on ports ")
    assert "--port" in done.stderr and "Traceback" not in done.stderr


def test_missing_org_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _serve("--org", str(tmp_path / "missing.json"), "--port", "0", "--http-port", "0")
    assert done.returncode == 2
    missing = tmp_path / "missing.json"
    assert done.stderr.splitlines() == [
        f"error: org file {missing} not found; create one with `cadence sandbox generate -o FILE`"
    ]


def test_printed_exports_paste_into_a_shell(org_file: Path, tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca dir with 'quotes'"  # the CA path must survive shell quoting
    process = subprocess.Popen(
        [str(CADENCE), "sandbox", "serve", "--org", str(org_file), "--port", "0", "--http-port", "0",
         "--ca-dir", str(ca_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(9)]  # two comment lines, seven exports
        _control_token_works(lines)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    script = "".join(lines)
    assert [line for line in lines if not line.startswith("#")] == [
        line for line in lines if EXPORT.match(line)
    ]
    assert subprocess.run(["bash", "-n", "-c", script], capture_output=True).returncode == 0
    names = ("LOGIN_URL", "CLIENT_ID", "CLIENT_SECRET", "CA_BUNDLE")
    shown = [f'"$SOURCES__SALESFORCE__{n}"' for n in names]
    shown += ['"$SOURCES__HUBSPOT__BASE_URL"', '"$SOURCES__HUBSPOT__ACCESS_TOKEN"']
    echoed = subprocess.run(
        ["bash", "-c", script + "printf '%s\\n' " + " ".join(shown)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    credentials = SandboxCredentials()
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", echoed[0])
    assert echoed[1:4] == [
        credentials.salesforce_client_id,
        credentials.salesforce_client_secret,
        str(ca_dir / "sandbox-ca.pem"),
    ]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", echoed[4])
    assert echoed[5] == credentials.hubspot_token
    assert Path(echoed[3]).read_text().startswith("-----BEGIN CERTIFICATE-----")


def _control_token_works(lines: list[str]) -> None:
    """The printed control token opens the control surface of the running process; none is refused."""
    import requests

    exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if EXPORT.match(line))
    base = exports["SOURCES__HUBSPOT__BASE_URL"]
    token = exports["CADENCE_SANDBOX_CONTROL_TOKEN"]
    assert requests.get(f"{base}/__sandbox/counters", timeout=10).status_code == 401
    headers = {"X-Sandbox-Control-Token": token}
    answer = requests.get(f"{base}/__sandbox/counters", headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.json() == {}


def test_python_dash_m_runs_the_same_cli(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest.sandbox", "serve", "--org", str(tmp_path / "none.json")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("error: org file ")
