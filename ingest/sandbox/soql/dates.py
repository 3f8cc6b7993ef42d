"""SOQL date literals (TODAY, YESTERDAY, LAST_N_DAYS:n, ...) as half-open day ranges.

Source: "Date Formats and Date Literals", SOQL and SOSL Reference
(https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm).
A literal names a range of days; `field = LITERAL` is inside it, `>` after its end, `<` before its start,
`>=` from its start, `<=` before its end. Days are UTC days of the sandbox clock (the sandbox org's
users are on UTC).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

# Literals without a number, and those taking `:n`.
FIXED = frozenset({"TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK", "THIS_MONTH",
                   "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR"})  # fmt: skip
WITH_N = frozenset(
    {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_WEEKS", "LAST_N_MONTHS", "NEXT_N_MONTHS"}
)
PATTERN = re.compile(
    r"(?P<name>" + "|".join(sorted(WITH_N, key=len, reverse=True)) + r"):(?P<n>\d+)(?![\w.])"
    r"|(?P<fixed>" + "|".join(sorted(FIXED, key=len, reverse=True)) + r")(?![\w.:])",
    re.IGNORECASE,
)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _week_start(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday (en_US locale)


def day_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """[first day, day after the last) of the literal, relative to `today`."""
    day = timedelta(days=1)
    ranges = {
        "TODAY": lambda: (today, today + day),
        "YESTERDAY": lambda: (today - day, today),
        "TOMORROW": lambda: (today + day, today + 2 * day),
        "THIS_WEEK": lambda: (_week_start(today), _week_start(today) + 7 * day),
        "LAST_WEEK": lambda: (_week_start(today) - 7 * day, _week_start(today)),
        "NEXT_WEEK": lambda: (_week_start(today) + 7 * day, _week_start(today) + 14 * day),
        "THIS_MONTH": lambda: (_month_start(today), _month_start(today, -1)),
        "LAST_MONTH": lambda: (_month_start(today, 1), _month_start(today)),
        "NEXT_MONTH": lambda: (_month_start(today, -1), _month_start(today, -2)),
        "THIS_YEAR": lambda: (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "LAST_YEAR": lambda: (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        # "LAST_N_DAYS:n ... starts with the current day and continues for the past n days"
        "LAST_N_DAYS": lambda: (today - (n or 0) * day, today + day),
        "NEXT_N_DAYS": lambda: (today + day, today + ((n or 0) + 1) * day),
        "N_DAYS_AGO": lambda: (today - (n or 0) * day, today - ((n or 0) - 1) * day),
        "LAST_N_WEEKS": lambda: (_week_start(today) - 7 * (n or 0) * day, _week_start(today)),
        # "LAST_N_MONTHS:n ... starts 00:00:00 of the first day of the month n months ago and continues
        # up to the last day of the previous month"
        "LAST_N_MONTHS": lambda: (_month_start(today, n or 0), _month_start(today)),
        "NEXT_N_MONTHS": lambda: (_month_start(today, -1), _month_start(today, -1 - (n or 0))),
    }
    return ranges[name]()
