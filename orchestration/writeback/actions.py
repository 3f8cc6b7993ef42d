"""What the writeback does: one `TaskAction` per row of `marts.overdue_visit_tasks`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ingest.warehouse import WarehouseArg, connect

TASK_KEY_MARKER = "cadence-task-key:"
# The key line is written last, but a rep may add a note below it: any line carries it (the same
# pattern as dbt's task_key_from_text macro).
_KEY_LINE = re.compile(r"(?:^|\n)\s*" + re.escape(TASK_KEY_MARKER) + r"\s*(\S+)")


def key_in_text(text: str | None) -> str | None:
    """The pipeline's task key on a line of a task's text, or None."""
    found = _KEY_LINE.search(text or "")
    return found.group(1) if found else None


# overdue_visit_tasks.priority_reason -> the task's words (docs/rules.md, "Task priority").
PRIORITY_REASONS = {
    "very_overdue": "overdue by a whole cadence or more",
    "trend": "the referral trend is {trend}",
    "top_potential": "one of the highest-potential accounts of your book",
}

_QUEUE_SQL = """
select q.task_key, q.action, q.crm, q.crm_account_id, q.account_key, q.owner_id, q.subject,
       q.due_date, q.days_overdue, q.priority, q.crm_task_id, q.is_duplicate,
       c.account_name, c.last_visit_date, c.cadence_days, c.next_visit_due,
       q.priority_reason, q.trend, q.trend_summary, q.referrer_count, q.referrers_summary
from marts.overdue_visit_tasks q
left join marts.account_cadence c using (account_key)
where q.crm = ?
order by q.action, q.days_overdue desc nulls last, q.task_key
"""


@dataclass(frozen=True)
class TaskAction:
    task_key: str
    action: str  # "create" | "close"
    crm: str
    crm_account_id: str
    account_key: str
    owner_id: str | None
    subject: str | None
    due_date: date | None
    days_overdue: int | None
    priority: str | None
    crm_task_id: str | None  # the pipeline's open task, for "close"
    account_name: str | None = None
    last_visit_date: date | None = None
    cadence_days: int | None = None
    next_visit_due: date | None = None
    is_duplicate: bool = False  # "close" of a second open task with the same key (the oldest is kept)
    # Why this account matters (issue 14; creates only): overdue_visit_tasks' columns of the same names.
    priority_reason: str | None = None  # very_overdue | trend | top_potential | None (Normal)
    trend: str | None = None  # marts.referral_trend.trend
    trend_summary: str | None = None
    referrer_count: int | None = None
    referrers_summary: str | None = None

    def why(self, account_name: str | None = None, referrers: str | None = None) -> str:
        """Why the rep is nagged: the task text above the key line (task_text.task_body assembles and
        trims it). `account_name`, `referrers`: as the text shows them (cleaned by the caller)."""
        last_visit = f"last visit {self.last_visit_date}" if self.last_visit_date else "never visited"
        account = account_name or self.account_name or self.crm_account_id
        lines = [
            f"{account}: {last_visit}, visit cadence {self.cadence_days} days, "
            f"due {self.next_visit_due}, {self.days_overdue} days overdue."
        ]
        if self.trend_summary:
            lines.append(f"Referrals: {self.trend_summary}.")
        if self.referrer_count:
            lines.append(f"Who can refer ({self.referrer_count}): {referrers or self.referrers_summary}.")
        if self.priority_reason in PRIORITY_REASONS:
            reason = PRIORITY_REASONS[self.priority_reason].format(trend=self.trend)
            lines.append(f"High priority: {reason}.")
        lines.append("Written by the cadence warehouse; it closes this task itself once the visit is logged.")
        return "\n".join(lines)

    def key_line(self) -> str:
        return f"{TASK_KEY_MARKER} {self.task_key}"


def read_queue(warehouse: WarehouseArg, crm: str) -> list[TaskAction]:
    """The writeback queue for one CRM, creates first, most overdue first."""
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(_QUEUE_SQL, [crm]).fetchall()
        return [TaskAction(**dict(zip(con.columns, row, strict=True))) for row in rows]
