"""`cadence doctor` against sandbox orgs over real HTTP(S), with the real clients: read-only, one line
per check, exit 0 when ready and 2 with one line per blocking problem."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest

from ingest.sandbox import OrgStore, RunningSandbox, serve_sandbox
from ingest.sandbox.generator import generate_org
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.cli import DEMO_ACCOUNTS, main
from orchestration.doctor.report import Report, Status
from orchestration.doctor.rules import _rule_values
from orchestration.doctor.run import run_doctor

WRITE_ROUTES = ("create", "update", "delete", "composite", "archive")


def configs(running: RunningSandbox) -> dict:
    return {"salesforce": salesforce_config(running), "hubspot": hubspot_config(running)}


def lines(report: Report, status: Status) -> list[str]:
    return [check.line() for check in report.checks if check.status is status]


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    document = generate_org(accounts=30, seed=7, junk=False)
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path_factory.mktemp("doctor-ca")) as running:
        yield running


def test_a_ready_org_is_ready_and_the_doctor_writes_nothing(ready: RunningSandbox) -> None:
    ready.control("POST", "/__sandbox/counters/reset")
    report = run_doctor(configs(ready), _rule_values())
    assert report.exit_code == 0 and report.blocking == []
    assert report.verdict().startswith("verdict: READY (salesforce, hubspot;")
    ok = lines(report, Status.OK)
    for expected in (
        "OK       salesforce authenticated: logged in (client-credentials grant)",
        "OK       salesforce API version: v59.0 (the org offers up to v62.0)",
        "OK       salesforce API budget: ",
        "OK       salesforce Account fields: 14 of 14 fields present and visible to the integration user",
        "OK       salesforce Task writes: the integration user can write 7 fields",
        "OK       hubspot authenticated: the private app token is accepted",
        "OK       hubspot tasks properties: 9 of 9 properties present and visible",
    ):
        assert any(line.startswith(expected) for line in ok), expected
    counters = ready.control("GET", "/__sandbox/counters")
    assert counters["salesforce.total"] > 0 and counters["hubspot.total"] > 0
    assert [name for name in counters if any(word in name for word in WRITE_ROUTES)] == []


def test_an_org_without_the_task_key_field_warns_and_says_what_an_admin_adds(tmp_path: Path) -> None:
    document = generate_org(accounts=10, seed=7, junk=False, custom_fields=False)
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        report = run_doctor(configs(running), _rule_values())
    assert report.exit_code == 0  # without it the key rides in the description: degraded, not broken
    warnings = lines(report, Status.WARN)
    assert (
        "WARN     salesforce task key field: Task.Cadence_Task_Key__c is missing: the task key rides in "
        "the Description's last line instead -- fix: an admin adds a Text(255) custom field "
        "Cadence_Task_Key__c on Activity (Task), with 'External ID' and 'Unique' ticked, visible and "
        "editable for the integration user"
    ) in warnings
    assert (
        "WARN     hubspot task key property: tasks.cadence_task_key is missing: the task key rides in the "
        "task body's last line instead -- fix: an admin creates a single-line text property "
        "cadence_task_key on tasks, with 'Require unique values for this property' (hasUniqueValue) "
        "where the portal offers it"
    ) in warnings


def test_an_unreachable_login_url_and_a_bad_token_are_one_blocking_line_each(ready: RunningSandbox) -> None:
    crms = {
        "salesforce": salesforce_config(ready, login_url="https://127.0.0.1:9"),
        "hubspot": hubspot_config(ready, access_token="pat-na1-wrong"),
    }
    started = time.perf_counter()
    report = run_doctor(crms, _rule_values())
    assert time.perf_counter() - started < 5
    assert report.exit_code == 2
    blocking = [(c.crm, c.name) for c in report.blocking]
    assert blocking == [("salesforce", "reachable"), ("hubspot", "authenticated")]
    assert "https://127.0.0.1:9" in report.blocking[0].message
    assert "HubSpot rejected the access token" in report.blocking[1].message
    assert "pat-na1-wrong" not in report.render()  # never a secret
    assert report.verdict() == "verdict: NOT READY (salesforce, hubspot): 2 blocking problem(s), 0 warning(s)"


def test_no_crm_configured_is_blocking() -> None:
    report = run_doctor({}, _rule_values())
    assert report.exit_code == 2
    assert (
        report.blocking[0]
        .line()
        .startswith("BLOCKING doctor CRMs: no CRM is configured -- fix: set SOURCES__")
    )


def test_cli_sandbox_org_prints_a_ready_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org = tmp_path / "org.json"
    org.write_bytes(orjson.dumps(generate_org(accounts=10, seed=7)))
    assert main(["doctor", "--sandbox", "--org", str(org)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[-1].startswith("verdict: READY (salesforce, hubspot;")
    assert out.err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["doctor", "--org", "org.json"], "error: --org is for the sandbox: add --sandbox"),
        (["doctor", "--sandbox", "--org", "missing.json"], "error: org file missing.json not found"),
        (["doctor", "--project-tasks", "--as-of", "2026-13-01"], "error: --as-of '2026-13-01' is not a date"),
    ],
)
def test_cli_usage_errors_are_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_project_tasks_dry_runs_the_first_night_per_rep_and_writes_nothing(tmp_path: Path) -> None:
    as_of = date(2026, 3, 31)
    document = generate_org(accounts=30, seed=7, junk=False, anchor_date=as_of)
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        report = run_doctor(configs(running), _rule_values(), project_tasks_as_of=as_of)
        counters = running.control("GET", "/__sandbox/counters")
    assert report.exit_code == 0
    projected = {c.crm: c.message for c in report.checks if c.name == "projected tasks"}
    assert projected.keys() == {"salesforce", "hubspot"}
    for message in projected.values():
        total, per_rep = re.fullmatch(r"the first night would create (\d+) task\(s\): (.*)", message).groups()
        counts = [int(part.rsplit(" ", 1)[1]) for part in per_rep.split(", ")]
        assert int(total) == sum(counts) > 0  # the generated org has overdue accounts for each rep
    assert [name for name in counters if any(word in name for word in WRITE_ROUTES)] == []


def test_an_empty_portal_without_owners_is_checked_without_errors(tmp_path: Path) -> None:
    document = generate_org(accounts=5, seed=7, junk=False, crms=("salesforce",))  # no HubSpot records
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        report = run_doctor({"hubspot": hubspot_config(running)}, _rule_values())
    assert report.blocking == []
    owners = [c.line() for c in report.checks if c.name == "owners"]
    assert owners == ["OK       hubspot owners: every owned in-scope company's owner is one of 0 owners"]


def test_a_typo_in_the_rules_file_exits_2_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "cadence.yml"
    rules.write_text("salesforce_active_type: [Prospect]\n")
    org = tmp_path / "org.json"
    org.write_text("{}")  # never served: the rules are checked first
    assert main(["doctor", "--sandbox", "--org", str(org), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown key 'salesforce_active_type'; did you mean 'salesforce_active_types'?" in err


def test_a_spent_api_budget_is_reported_from_the_header_and_blocks(tmp_path: Path) -> None:
    document = generate_org(accounts=5, seed=7, junk=False, crms=("salesforce",))
    document["salesforce"]["_api_limits"] = {"daily_api_requests": 100}
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        running.control("POST", "/__sandbox/salesforce/api_budget", {"used": 100})
        report = run_doctor({"salesforce": salesforce_config(running)}, _rule_values())
    budget = next(c for c in report.checks if c.name == "API budget")
    assert budget.status is Status.WARN
    assert budget.message.startswith(
        "limits/ refused (Salesforce kept throttling requests (HTTP 403 REQUEST_LIMIT"
    )
    assert budget.message.endswith("Sforce-Limit-Info says 100 of 100 used")
    assert report.exit_code == 2  # every describe and query is refused too: the sync would fail today
    assert {c.name for c in report.blocking} >= {"fields", "picklists", "owners"}


def test_the_demo_org_is_ready_in_under_10_seconds(tmp_path: Path) -> None:
    document = generate_org(accounts=DEMO_ACCOUNTS, seed=7)  # what `cadence demo` generates
    with serve_sandbox(OrgStore(document), ca_dir=tmp_path / "ca") as running:
        started = time.perf_counter()
        report = run_doctor(configs(running), _rule_values())
        seconds = time.perf_counter() - started
    assert report.exit_code == 0, report.render()
    assert seconds < 10  # issue 11's bound; about 1 s on a quiet 2-core machine
