"""Every input error is one line naming the fix, exit code 2 (issue 18, item 10): the `cadence`
executable in a subprocess, in an empty working directory, with only the settings each test gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import orjson
import pytest

CADENCE = Path(sys.executable).with_name("cadence")
ACCOUNT = "001000000000001AAA"
AS_OF_DATE = date(2026, 3, 1)


def _cadence(cwd: Path, *argv: str, **env: str) -> tuple[int, str]:
    """(exit code, stderr) of `cadence ARGV`; the environment holds no SOURCES__* but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CADENCE"))}
    done = subprocess.run(
        [str(CADENCE), *argv], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=180
    )
    return done.returncode, done.stderr


def _one_line(result: tuple[int, str]) -> str:
    code, stderr = result
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: ") and "Traceback" not in stderr, stderr
    return stderr.removeprefix("error: ").rstrip("\n")


def _org(tmp_path: Path, content: bytes | dict, name: str = "org.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else orjson.dumps(content))
    return path


# ---- org files: `cadence demo --org` and `cadence sandbox serve --org` say the same line ----------

DOCS = "; see docs/sandbox.md"
ORG_ERRORS = [
    (b'{"salesforce": ', " is not JSON (unexpected end of data: line 1 column 16 (char 15))" + DOCS),
    (b"", " is not JSON (Input is a zero-length, empty document: line 1 column 1 (char 0))" + DOCS),
    (b"[]", ": the document must be a JSON object with one key per CRM"),
    (b"{}", ' has no "salesforce" or "hubspot" section; create one with `cadence sandbox generate -o FILE` '
     "(format: docs/sandbox.md)"),
    ({"salesforce": {"Account": [{"Name": "Mercy General"}]}},
     ": salesforce.Account[0] has no 'Id': every record needs its id"),
    ({"salesforce": {"Account": [{"Id": ACCOUNT, "Name": "Mercy"}, {"Id": ACCOUNT, "Name": "Lakeside"}]}},
     f": salesforce.Account[1] repeats Id '{ACCOUNT}': every Id is unique; remove or renumber one of the two "
     "records"),
    ({"hubspot": {"companies": [{"id": "9001", "properties": {}}, {"id": "9001", "properties": {}}]}},
     ": hubspot.companies[1] repeats id '9001': every id is unique; remove or renumber one of the two "
     "records"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "tail"), ORG_ERRORS)
def test_a_bad_org_file_is_one_line_in_demo_and_serve(
    tmp_path: Path, content: bytes | dict, tail: str
) -> None:
    org = _org(tmp_path, content)
    assert _one_line(_cadence(tmp_path, "demo", "--org", str(org))) == f"org file {org}{tail}"
    serve = ("sandbox", "serve", "--org", str(org), "--port", "0", "--http-port", "0", "--ca-dir", "ca")
    assert _one_line(_cadence(tmp_path, *serve)) == f"org file {org}{tail}"


def test_a_directory_as_org_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "orgs"
    folder.mkdir()
    expected = f"org file {folder} is a directory; pass the org's JSON file"
    assert _one_line(_cadence(tmp_path, "demo", "--org", str(folder))) == expected
    serve = ("sandbox", "serve", "--org", str(folder), "--port", "0", "--http-port", "0", "--ca-dir", "ca")
    assert _one_line(_cadence(tmp_path, *serve)) == expected


# ---- settings: checked before any connection --------------------------------------------------------

CA_BUNDLE = "SOURCES__SALESFORCE__CA_BUNDLE"
SALESFORCE = {
    "CADENCE__CRMS": "salesforce",
    "SOURCES__SALESFORCE__CLIENT_ID": "client",
    "SOURCES__SALESFORCE__CLIENT_SECRET": "s3cret-never-printed",
}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {
                "SOURCES__SALESFORCE__LOGIN_URL": "https://127.0.0.1:9",
                "SOURCES__SALESFORCE__CA_BUNDLE": "/no/ca.pem",
            },
            "SOURCES__SALESFORCE__CA_BUNDLE is /no/ca.pem, which does not exist: point it at the PEM file of "
            "the CA that signed the CRM's certificate, or unset it to trust the system's CAs",
        ),
        (
            {"SOURCES__SALESFORCE__LOGIN_URL": "acme.my.salesforce.com"},
            "SOURCES__SALESFORCE__LOGIN_URL is 'acme.my.salesforce.com', which is not a URL: write "
            "https://host, e.g. https://acme.my.salesforce.com",
        ),
        (
            {"SOURCES__SALESFORCE__LOGIN_URL": "https://acme.my.salesforce.com:443x"},
            "SOURCES__SALESFORCE__LOGIN_URL is 'https://acme.my.salesforce.com:443x', which is not a URL "
            "(Port could not be cast to integer value as '443x'): write https://host",
        ),
        (
            {"SOURCES__SALESFORCE__LOGIN_URL": "http://127.0.0.1:9"},
            "SOURCES__SALESFORCE__LOGIN_URL is 'http://127.0.0.1:9': Salesforce logins need https://; write "
            "https://127.0.0.1:9",
        ),
    ],
)
def test_a_crm_setting_that_cannot_work_is_one_line(
    tmp_path: Path, settings: dict[str, str], expected: str
) -> None:
    result = _cadence(tmp_path, "run", **SALESFORCE, **settings)
    assert _one_line(result) == expected
    assert "s3cret" not in result[1]


def test_a_bad_warehouse_path_is_one_line(tmp_path: Path) -> None:
    folder, not_duckdb = tmp_path / "folder", _org(tmp_path, b"{}", "notes.txt")
    folder.mkdir()
    settings = {**SALESFORCE, "SOURCES__SALESFORCE__LOGIN_URL": "https://127.0.0.1:9"}
    assert _one_line(_cadence(tmp_path, "run", "--warehouse", str(folder), **settings)) == (
        f"warehouse {folder} is a directory; pass a file, e.g. --warehouse {folder}/warehouse.duckdb"
    )
    assert _one_line(_cadence(tmp_path, "demo", "--warehouse", f"{not_duckdb}/w.duckdb")) == (
        f"warehouse {not_duckdb}/w.duckdb: {not_duckdb} is a file, not a folder; choose another --warehouse"
    )
    assert _one_line(_cadence(tmp_path, "report", "--warehouse", str(not_duckdb))) == (
        f"warehouse {not_duckdb} is not a DuckDB database; choose another --warehouse path"
    )


# ---- TLS, the override, failed-run summaries -------------------------------------------------------


def test_a_hubspot_certificate_it_cannot_trust_fails_at_once(tmp_path: Path) -> None:
    """HTTPS to the sandbox without its CA: a certificate error is not transient, so no 8 retries."""
    from tests.helpers import serve_org

    document = {"hubspot": {"companies": [], "_behaviour": {"profile": "realistic"}}}
    with serve_org(document, tmp_path) as running:
        settings = {
            "CADENCE__CRMS": "hubspot",
            "SOURCES__HUBSPOT__BASE_URL": running.https_url,
            "SOURCES__HUBSPOT__ACCESS_TOKEN": running.credentials.hubspot_token,
        }
        started = time.perf_counter()
        result = _cadence(tmp_path, "run", **settings)
        seconds = time.perf_counter() - started
        calls = running.sandbox.counters["hubspot.total"]
    assert _one_line(result) == (
        f"TLS handshake with HubSpot at {running.https_url} failed (the server's certificate was refused): "
        "check SOURCES__HUBSPOT__BASE_URL and SOURCES__HUBSPOT__CA_BUNDLE (the CA that signed the server's "
        "certificate)"
    )
    assert calls == 0 and seconds < 30  # was 8 tries over 66 s


def test_the_override_is_said_on_the_terminal_before_the_run(tmp_path: Path) -> None:
    org = _org(tmp_path, b"{}")
    code, stderr = _cadence(tmp_path, "demo", "--org", str(org), "--override-quality-gate")
    assert code == 2
    assert stderr.splitlines()[0] == (
        "warning: --override-quality-gate: a failed blocking data-quality check will not stop the writeback "
        "(it is reported as a warning)"
    )


def test_a_failed_summary_shows_no_overdue_counts_of_an_earlier_build(tmp_path: Path) -> None:
    from orchestration.runtime import RunSummary

    failed = RunSummary(
        succeeded=False, as_of=AS_OF_DATE, warehouse=tmp_path / "w.duckdb", error="sync failed"
    )
    rows = failed.render().splitlines()[2:4]
    assert rows == [
        "  salesforce            0        -        0       0       0",
        "  hubspot               0        -        0       0       0",
    ]
