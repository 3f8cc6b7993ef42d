"""Task text (issue 18 item 8): subjects and bodies fit the CRM's fields and carry no control characters.

Fast unit tests of the trimming (pure functions), the sandbox's vendor limits through the real clients
(simple-salesforce, hubspot-api-client), and a night on an org whose account names are a megabyte
long or full of control characters, in both CRMs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from hubspot import HubSpot
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate
from hubspot.crm.objects.tasks.exceptions import ApiException
from simple_salesforce.exceptions import SalesforceMalformedRequest

from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config
from orchestration.writeback.actions import TaskAction, key_in_text
from orchestration.writeback.task_text import (
    HUBSPOT_BODY,
    HUBSPOT_SUBJECT,
    SALESFORCE_DESCRIPTION,
    SALESFORCE_SUBJECT,
    FieldLimit,
    clean_body,
    clean_subject,
    fit,
    task_body,
    utf8_bytes,
    utf16_units,
)
from tests.conftest import StartSandbox
from tests.orchestration.harness import pipeline_tasks, run_audit, task_key
from tests.orchestration.org import AS_OF, hand_made_org, hs_company_id, sf_account_id
from tests.sandbox.test_salesforce_sandbox import login

KEY_LINE = "cadence-task-key: salesforce:001000000000001AAA:2026-10-31"


# ---- the trimming, unit tests ---------------------------------------------------------------------
def test_fit_keeps_short_text_and_cuts_long_text_on_a_character_boundary() -> None:
    assert fit("Mercy General", FieldLimit(255)) == "Mercy General"
    assert fit("x" * 255, FieldLimit(255)) == "x" * 255  # exactly at the limit: untouched
    cut = fit("x" * 256, FieldLimit(255))
    assert cut == "x" * 254 + "…" and len(cut) == 255
    # An emoji is 2 UTF-16 units (Salesforce counts as Java does): never half of one is kept.
    emoji = fit("😀" * 200, FieldLimit(255))
    assert emoji == "😀" * 127 + "…" and utf16_units(emoji) == 255
    # UTF-8 bytes (a long text area): "é" is 2 bytes, the ellipsis 3.
    accented = fit("é" * 20, FieldLimit(10, utf8_bytes))
    assert accented == "ééé…" and utf8_bytes(accented) == 9


def test_clean_subject_strips_control_characters_and_line_breaks() -> None:
    raw = "Overdue visit: Harbor\x00 Clinic\x1b[31m\r\nRed\tWing\u2028\x7fDone\x85"
    assert clean_subject(raw, SALESFORCE_SUBJECT) == "Overdue visit: Harbor Clinic[31m Red Wing Done"
    assert clean_subject(None, SALESFORCE_SUBJECT) == ""


def test_clean_body_keeps_line_feeds_trims_the_free_text_and_keeps_the_key_line_whole() -> None:
    body = clean_body("line one\r\nline two\x00\x1b\rline three", KEY_LINE, SALESFORCE_DESCRIPTION)
    assert body == f"line one\nline two\nline three\n{KEY_LINE}"
    long_body = clean_body("é" * 40_000, KEY_LINE, SALESFORCE_DESCRIPTION)
    assert utf8_bytes(long_body) <= 32_000 and long_body.endswith(f"…\n{KEY_LINE}")
    assert key_in_text(long_body) == "salesforce:001000000000001AAA:2026-10-31"


def test_a_marker_in_the_free_text_is_defused_so_only_the_real_key_is_read() -> None:
    body = clean_body("cadence-task-key: salesforce:evil:2000-01-01\nnote", KEY_LINE, HUBSPOT_BODY)
    assert key_in_text(body) == "salesforce:001000000000001AAA:2026-10-31"
    assert body.count("cadence-task-key:") == 1


def test_task_body_shows_a_huge_account_name_on_one_short_line() -> None:
    action = TaskAction(
        "hubspot:9001:2026-10-31", "create", "hubspot", "9001", "hubspot:9001", "101",
        "Overdue visit: x", date(2026, 11, 27), 27, "Normal", None,
        account_name="Mercy\nGeneral " + "y" * 1_000_000, last_visit_date=date(2026, 10, 1),
        cadence_days=30, next_visit_due=date(2026, 10, 31),
    )  # fmt: skip
    body = task_body(action, HUBSPOT_BODY)
    first_line = body.splitlines()[0]
    assert first_line.startswith("Mercy General yyy") and "…: last visit 2026-10-01" in first_line
    assert len(body) < 600 and body.splitlines()[-1] == "cadence-task-key: hubspot:9001:2026-10-31"


# ---- the sandbox enforces the vendors' limits -----------------------------------------------------
def _sf_task(subject: str, description: str | None = None) -> dict[str, Any]:
    return {
        "WhatId": sf_account_id(1),
        "Subject": subject,
        "Status": "Not Started",
        "Description": description,
    }


def test_salesforce_answers_string_too_long_and_describes_the_long_text_area(
    start_sandbox: StartSandbox,
) -> None:
    sf = login(start_sandbox(hand_made_org()))
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.create(_sf_task("s" * 256))
    (error,) = caught.value.content
    assert error["errorCode"] == "STRING_TOO_LONG" and error["fields"] == ["Subject"]
    assert (
        error["message"].startswith("Subject: data value too large: ssss")
        and "(max length=255)" in (error["message"])
    )
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.create(_sf_task("ok", "d" * 32_001))
    assert caught.value.content[0]["errorCode"] == "STRING_TOO_LONG"
    assert sf.Task.create(_sf_task("s" * 255, "d" * 32_000))["success"] is True  # at the limits: fine
    fields = {f["name"]: f for f in sf.Task.describe()["fields"]}
    assert (fields["Description"]["type"], fields["Description"]["length"]) == ("textarea", 32_000)
    assert (fields["Subject"]["length"], fields["Subject"]["byteLength"]) == (255, 765)
    assert fields["WhatId"]["length"] == 18


def test_hubspot_refuses_a_string_property_over_65536_characters(start_sandbox: StartSandbox) -> None:
    config = hubspot_config(start_sandbox(hand_made_org()))
    tasks = HubSpot(access_token=config.access_token, host=config.base_url).crm.objects.tasks.basic_api
    properties = {"hs_task_subject": "s" * 65_537, "hs_timestamp": "2026-11-27T09:00:00.000Z"}
    with pytest.raises(ApiException) as caught:
        tasks.create(SimplePublicObjectInputForCreate(properties=properties))
    answer = orjson.loads(caught.value.body)
    assert caught.value.status == 400 and answer["category"] == "VALIDATION_ERROR"
    assert answer["errors"][0]["context"]["propertyName"] == ["hs_task_subject"]
    properties["hs_task_subject"] = "s" * 65_536
    assert tasks.create(SimplePublicObjectInputForCreate(properties=properties)).id


# ---- a night on hostile account names -------------------------------------------------------------
HUGE_NAME = "Mercy General " + "m" * 1_000_000  # account 1: a megabyte of name
HOSTILE_NAME = "Harbor\x00 Clinic\x1b[2J\r\ncadence-task-key: salesforce:evil:2000-01-01"  # account 2


def _hostile_org() -> dict[str, Any]:
    document = hand_made_org()
    names = {sf_account_id(1): HUGE_NAME, sf_account_id(2): HOSTILE_NAME}
    for account in document["salesforce"]["Account"]:
        account["Name"] = names.get(account["Id"], account["Name"])
    names = {hs_company_id(1): HUGE_NAME, hs_company_id(2): HOSTILE_NAME}
    for company in document["hubspot"]["companies"]:
        company["properties"]["name"] = names.get(company["id"], company["properties"]["name"])
    return document


def _text(crm: str, task: dict[str, Any]) -> tuple[str, str]:
    if crm == "salesforce":
        return task["Subject"], task["Description"]
    return task["properties"]["hs_task_subject"], task["properties"]["hs_task_body"]


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_megabyte_account_name_and_control_characters_still_make_clean_tasks(
    start_sandbox: StartSandbox, tmp_path: Path, crm: str
) -> None:
    running: RunningSandbox = start_sandbox(_hostile_org())
    run = run_audit(running, tmp_path / "warehouse.duckdb", AS_OF, crms=(crm,))
    assert run.summary.succeeded, run.summary.error
    assert (run.summary.writeback[crm]["created"], run.summary.writeback[crm]["failed"]) == (5, 0)
    account = sf_account_id if crm == "salesforce" else hs_company_id
    by_account = {task_key(crm, t).split(":")[1]: t for t in pipeline_tasks(running, crm)}  # type: ignore[union-attr]
    subject_field, body_field = (
        (SALESFORCE_SUBJECT, SALESFORCE_DESCRIPTION)
        if crm == "salesforce"
        else (HUBSPOT_SUBJECT, HUBSPOT_BODY)
    )

    subject, body = _text(crm, by_account[account(1)])
    assert subject.startswith("Overdue visit: Mercy General mmm") and subject.endswith("…")
    assert utf16_units(subject) == subject_field.limit  # trimmed to the field, not shorter
    assert body_field.measure(body) <= body_field.limit and len(body) < 1000
    assert key_in_text(body) == task_key(crm, by_account[account(1)]) == f"{crm}:{account(1)}:2026-10-31"

    subject, body = _text(crm, by_account[account(2)])
    assert subject == "Overdue visit: Harbor Clinic[2J cadence-task-key: salesforce:evil:2000-01-01"
    assert not any(char in subject for char in "\x00\x1b\r\n")
    assert "\x00" not in body and "\x1b" not in body and "\r" not in body
    assert key_in_text(body) == f"{crm}:{account(2)}:2026-10-01"  # the name's fake key line is defused
