"""`make dagster` on a machine with nothing configured: the code location loads and shows the whole graph,
and a run fails at once, at the sync steps, with the one line that names the fix."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import code_location_definitions
from orchestration.runtime import _failure_message

NO_CRM = (
    "no CRM is configured: set SOURCES__SALESFORCE__* or SOURCES__HUBSPOT__* "
    '(README, section "Pointing it at a real org"), or try the pipeline on the sandbox CRM with '
    "`cadence demo`"
)


@pytest.fixture
def nothing_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .dlt/ here; conftest clears SOURCES__* and CADENCE__*
    return tmp_path


def _run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("nightly_cadence_audit")
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


def test_with_no_crm_the_graph_loads_and_a_run_fails_at_once(nothing_configured: Path) -> None:
    defs = code_location_definitions()
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"salesforce/account", "hubspot/companies", "marts/account_cadence"} <= keys
    assert {"salesforce_task_writeback", "hubspot_task_writeback", "cadence_report"} <= keys
    result = _run(defs)
    assert not result.success
    failed = {event.step_key for event in result.all_events if event.is_step_failure}
    assert failed == {"salesforce_raw", "hubspot_raw"}  # nothing downstream ran
    assert not [event for event in result.all_events if event.is_step_success]
    assert _failure_message(result) == NO_CRM
    assert not (nothing_configured / "var").exists()  # no warehouse was created


def test_a_mistyped_key_fails_the_run_with_the_intended_key(
    nothing_configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__ACCESSTOKEN", "pat-1")
    assert _failure_message(_run(code_location_definitions())) == (
        "SOURCES__HUBSPOT__ACCESSTOKEN is not a hubspot setting: did you mean SOURCES__HUBSPOT__ACCESS_TOKEN?"
    )
