"""What a task says about its account besides the dates (issue 14): trend, who can refer, why High."""

from __future__ import annotations

from datetime import date

from orchestration.writeback.actions import TaskAction
from orchestration.writeback.task_text import HUBSPOT_BODY, SALESFORCE_DESCRIPTION, task_body


def action(**overrides: object) -> TaskAction:
    fields: dict[str, object] = {
        "task_key": "hubspot:9001:2026-10-31", "action": "create", "crm": "hubspot", "crm_account_id": "9001",
        "account_key": "hubspot:9001", "owner_id": "101", "subject": "Overdue visit: Mercy",
        "due_date": date(2026, 11, 27), "days_overdue": 27, "priority": "High", "crm_task_id": None,
        "account_name": "Mercy", "last_visit_date": date(2026, 10, 1), "cadence_days": 30,
        "next_visit_due": date(2026, 10, 31), "priority_reason": "trend", "trend": "lapsed",
        "trend_summary": "0 in the last 90 days, 3 in the 90 days before (lapsed), 3 in the last 365 days",
        "referrer_count": 2, "referrers_summary": "Ann Lee (Physician); Bo Kay",
    }  # fmt: skip
    return TaskAction(**{**fields, **overrides})  # type: ignore[arg-type]


def test_the_body_names_the_trend_the_referrers_and_why_it_is_high() -> None:
    assert task_body(action(), HUBSPOT_BODY).splitlines()[1:4] == [
        "Referrals: 0 in the last 90 days, 3 in the 90 days before (lapsed), 3 in the last 365 days.",
        "Who can refer (2): Ann Lee (Physician); Bo Kay.",
        "High priority: the referral trend is lapsed.",
    ]


def test_a_normal_task_without_referrers_says_neither() -> None:
    lines = task_body(action(priority_reason=None, referrer_count=0, referrers_summary=None), HUBSPOT_BODY)
    assert not [line for line in lines.splitlines() if line.startswith(("Who can refer", "High priority"))]


def test_a_megabyte_of_referrer_names_stays_on_one_short_line_and_keeps_the_key() -> None:
    huge = "Ann\nLee " + "z" * 1_000_000
    body = task_body(action(referrers_summary=huge), SALESFORCE_DESCRIPTION)
    who = body.splitlines()[2]
    assert who.startswith("Who can refer (2): Ann Lee zzz") and len(who) < 1100
    assert body.splitlines()[-1] == "cadence-task-key: hubspot:9001:2026-10-31"
