"""The raw visit suites read the rules: visit types, task statuses, the WhatId prefix and the timezone
(a timestamp becomes a date in the rules' zone, as staging's local_date does)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from expectations.suites import RAW_SUITES, SuiteParams
from orchestration.rules import Rules

AS_OF = date(2026, 6, 30)


def _visits(rules: Rules) -> dict[str, date]:
    con = duckdb.connect()
    con.execute("create schema raw_salesforce")
    con.execute("create table raw_salesforce.account (id varchar)")
    con.execute("insert into raw_salesforce.account values ('001A'), ('a0XB')")
    con.execute(
        "create table raw_salesforce.event (id varchar, account_id varchar, what_id varchar, type varchar, "
        "activity_date date, start_date_time timestamptz, is_deleted boolean, system_modstamp timestamptz)"
    )
    # 03:00 UTC on June 1st is still May 31st in Chicago; e2 is a Call; e3's WhatId is no Account.
    con.execute(
        "insert into raw_salesforce.event values "
        "('e1', null, '001A', 'Visit', null, '2026-06-01 03:00:00+00', false, '2026-06-01 03:00:00+00'), "
        "('e2', '001A', '001A', 'Call', '2026-06-02', null, false, '2026-06-02 00:00:00+00'), "
        "('e3', null, 'a0XB', 'Site Visit', '2026-06-03', null, false, '2026-06-03 00:00:00+00')"
    )
    con.execute(
        "create table raw_salesforce.task (id varchar, account_id varchar, what_id varchar, type varchar, "
        "status varchar, activity_date date, is_deleted boolean, system_modstamp timestamptz)"
    )
    con.execute(
        "insert into raw_salesforce.task values "
        "('t1', '001A', '001A', 'Visit', 'Done', '2026-06-04', false, '2026-06-04 00:00:00+00')"
    )
    spec = next(s for s in RAW_SUITES["salesforce"] if s.name == "salesforce_visits")
    params = SuiteParams(as_of=AS_OF, now=datetime.now(UTC), rules=rules)
    rows = con.execute(spec.query(params)).fetchall()
    columns = [d[0] for d in con.description]
    return {row[columns.index("id")]: row[columns.index("visit_date")] for row in rows}


def test_the_default_rules() -> None:
    assert _visits(Rules()) == {"e1": date(2026, 6, 1)}  # UTC date; a Call, a 'Site Visit' and 'Done' are not


def test_the_visit_suite_follows_a_changed_rules_file() -> None:
    rules = Rules(
        timezone="America/Chicago",
        salesforce_visit_event_types=["Visit", "Site Visit"],
        salesforce_visit_task_statuses=["Done"],
        salesforce_account_id_prefix="a0X",
    )
    assert _visits(rules) == {"e1": date(2026, 5, 31), "e3": date(2026, 6, 3), "t1": date(2026, 6, 4)}
