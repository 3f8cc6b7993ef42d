"""The pipeline's task key in a task's text (writeback/actions.key_in_text, task_text.task_body).

The writeback finds its own tasks by the key line it writes last in Salesforce's `Description` and
HubSpot's `hs_task_body`; a rep may edit the text around it.
"""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.writeback.actions import TASK_KEY_MARKER, TaskAction, key_in_text
from orchestration.writeback.task_text import SALESFORCE_DESCRIPTION, task_body

KEY = "sf:001A000001|2024-06"


def action(**overrides: object) -> TaskAction:
    fields: dict[str, object] = {
        "task_key": KEY, "action": "create", "crm": "salesforce", "crm_account_id": "001A000001",
        "account_key": "sf:001A000001", "owner_id": "005A", "subject": "Visit Acme Dental",
        "due_date": date(2024, 6, 30), "days_overdue": 12, "priority": "High", "crm_task_id": None,
        "account_name": "Acme Dental", "last_visit_date": date(2024, 4, 19), "cadence_days": 60,
        "next_visit_due": date(2024, 6, 18),
    }  # fmt: skip
    return TaskAction(**{**fields, **overrides})  # type: ignore[arg-type]


def test_the_description_ends_with_the_key_line_and_reads_back() -> None:
    text = task_body(action(), SALESFORCE_DESCRIPTION)
    assert text.splitlines()[-1] == f"cadence-task-key: {KEY}"
    assert text.splitlines()[0] == (
        "Acme Dental: last visit 2024-04-19, visit cadence 60 days, due 2024-06-18, 12 days overdue."
    )
    assert key_in_text(text) == KEY


def test_a_never_visited_account_without_a_name_names_its_id() -> None:
    text = task_body(action(account_name=None, last_visit_date=None), SALESFORCE_DESCRIPTION)
    assert text.startswith("001A000001: never visited,")


@pytest.mark.parametrize(
    "text",
    [
        f"{TASK_KEY_MARKER} {KEY}",
        f"Why: overdue.\n{TASK_KEY_MARKER} {KEY}\nRep: called, visiting Friday",  # a note added below
        f"Rep's note first\n\n{TASK_KEY_MARKER} {KEY}",  # the key line moved down
        f"Why: overdue.\r\n{TASK_KEY_MARKER} {KEY}\r\n",  # CRLF line ends (a text area edited in a browser)
        f"   {TASK_KEY_MARKER}{KEY}   ",  # indented, no space after the marker
    ],
)
def test_the_key_is_found_on_any_line(text: str) -> None:
    assert key_in_text(text) == KEY


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "a rep's own task: visit Acme",
        f"see the {TASK_KEY_MARKER} {KEY} of another task",  # mid-line: quoted, not the pipeline's line
        f"{TASK_KEY_MARKER}   ",  # the marker with its key deleted
    ],
)
def test_text_without_a_key_line_has_no_key(text: str | None) -> None:
    assert key_in_text(text) is None


def test_the_first_key_line_wins_when_a_task_was_copied_into_another() -> None:
    text = f"{TASK_KEY_MARKER} first\n{TASK_KEY_MARKER} second"
    assert key_in_text(text) == "first"
