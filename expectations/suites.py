"""The quality gate's suites, versioned with the code: which rows each one reads, what it expects.

Every suite validates the rows one SQL query reads from the warehouse, evaluated in DuckDB
(expectations/sql_checks.py: GX's own SQL path does not work on DuckDB). Each expectation carries
`meta.severity`:
- `critical`: failing it means the data is broken (a truncated sync, a model bug); it blocks the writeback.
- `warning`: junk a CRM always has a little of; it is reported (Dagster WARN, Data Docs) but never blocks.
A "tolerated" rule is both: any bad row warns, more than `max_share` of bad rows is critical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from orchestration import defaults
from orchestration.rules import DEFAULT_RULES_FILE, Rules

if TYPE_CHECKING:  # GX takes seconds to import; the Dagster definitions import this module
    import great_expectations as gx
    import great_expectations.expectations as gxe

CRITICAL = "critical"
WARNING = "warning"
# Nothing in these CRMs predates 2000; earlier dates are parse accidents. Bounds are naive UTC datetimes:
# the suites read timestamps as naive UTC and dates as midnight, which is how pandas compares them.
EARLIEST = datetime(2000, 1, 1)
MAX_ORPHAN_SHARE = 0.05  # visits whose account is unknown
MAX_UNRESOLVED_OWNER_SHARE = 0.05  # accounts whose owner is null or not a known user
MAX_BAD_DATE_SHARE = 0.01  # visits with a missing, pre-2000 or (completed) future date
MAX_VOLUME_DROP = 0.20  # run over run, per CRM
CADENCE_STATUSES = ["overdue", "never_visited", "due_soon", "on_track"]


@dataclass(frozen=True)
class SuiteParams:
    """What a run's expectations depend on."""

    as_of: date
    now: datetime
    max_tasks_per_run: int = defaults.MAX_TASKS_PER_RUN
    rules: Rules = field(default_factory=Rules)
    rules_label: str = DEFAULT_RULES_FILE  # how messages name the rules file


@dataclass(frozen=True)
class SuiteSpec:
    """One validated DataFrame: `sql` reads it ({as_of} is substituted), `expect` builds its expectations."""

    name: str  # the GX suite name, also the Dagster check name
    table: str  # the warehouse table the failure message names
    asset: tuple[str, ...]  # the Dagster asset key the check is attached to
    sql: str  # {as_of} and the rules' placeholders (see sql_values) are substituted
    expect: Callable[[SuiteParams], list[gxe.Expectation]]
    example_columns: list[str] = field(default_factory=lambda: ["id"])
    needs: tuple[str, ...] = ()  # tables that must exist, else the suite is skipped

    def query(self, params: SuiteParams, tables: frozenset[str] | set[str] = frozenset()) -> str:
        """The SQL to read, given the warehouse's `tables` (schema.table)."""
        return self.sql.format(**sql_values(params), **quarantine_values(tables))

    def suite(self, params: SuiteParams) -> gx.ExpectationSuite:
        import great_expectations as gx

        return gx.ExpectationSuite(name=self.name, expectations=self.expect(params))


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    """Like the dbt macro sql_list: string literals, comma-separated; none is an empty subquery
    (PostgreSQL refuses `in ()`, which DuckDB takes: `x in (select ...)` is false, `not in` true)."""
    return ", ".join(sql_literal(value) for value in values) or "select null where false"


def sql_values(params: SuiteParams) -> dict[str, str]:
    """What the suites' SQL substitutes: the as-of date and the rules, rendered as dbt renders them."""
    rules = params.rules
    return {
        "as_of": f"date '{params.as_of.isoformat()}'",
        "timezone": sql_literal(rules.timezone),
        "account_id_like": sql_literal(rules.salesforce_account_id_prefix + "%"),
        "visit_event_types": sql_list(rules.salesforce_visit_event_types),
        "visit_task_types": sql_list(rules.salesforce_visit_task_types),
        "visit_task_statuses": sql_list(rules.salesforce_visit_task_statuses),
        "excluded_meeting_outcomes": sql_list(rules.hubspot_excluded_meeting_outcomes),
        "fallback_owner": _fallback_owner_sql(rules),
    }


def _fallback_owner_sql(rules: Rules) -> str:
    """True for rows of a CRM whose rules name a fallback owner (overdue_visit_tasks assigns it)."""
    crms = [
        crm
        for crm, owner in (
            ("salesforce", rules.salesforce_fallback_owner_id),
            ("hubspot", rules.hubspot_fallback_owner_id),
        )
        if owner
    ]
    return f"crm in ({sql_list(crms)})" if crms else "false"


def quarantine_values(tables: frozenset[str] | set[str]) -> dict[str, str]:
    """`{<crm>_quarantined}`: the ids the CRM's sync rejected (raw_<crm>.rejected_records), or none
    while that table does not exist. Their nulls are junk the sync quarantined: the rejected-records
    suite warns about them, the raw suites must not count them as a broken load."""
    values = {}
    for crm in ("salesforce", "hubspot"):
        table = f"raw_{crm}.rejected_records"
        values[f"{crm}_quarantined"] = (
            f"(select id from {table})" if table in tables else "(select null as id where false)"
        )
    return values


def _expectation(name: str, severity: str, why: str, **kwargs: Any) -> gxe.Expectation:
    """`name` is the GX class, e.g. "ExpectColumnValuesToBeUnique" (imported only when a suite is built)."""
    import great_expectations.expectations as gxe

    return getattr(gxe, name)(meta={"severity": severity, "why": why}, **kwargs)


def critical(name: str, why: str, **kwargs: Any) -> gxe.Expectation:
    return _expectation(name, CRITICAL, why, **kwargs)


def warning(name: str, why: str, **kwargs: Any) -> gxe.Expectation:
    return _expectation(name, WARNING, why, **kwargs)


def tolerated(name: str, why: str, max_share: float, **kwargs: Any) -> list[gxe.Expectation]:
    """Warn on any bad row; block when bad rows exceed `max_share` (a broken sync, not junk)."""
    return [
        warning(name, why, **kwargs),
        critical(name, f"{why} (more than {max_share:.0%} of rows)", mostly=1 - max_share, **kwargs),
    ]


def _ids(column: str = "id") -> list[gxe.Expectation]:
    return [
        critical("ExpectColumnValuesToNotBeNull", "every record has an id", column=column),
        critical("ExpectColumnValuesToBeUnique", "ids are unique (merge on the primary key)", column=column),
    ]


def _modstamps(params: SuiteParams, column: str = "modstamp") -> list[gxe.Expectation]:
    latest = (params.now.astimezone(UTC) + timedelta(days=1)).replace(tzinfo=None)
    return [
        critical("ExpectColumnValuesToNotBeNull", "modstamps parse", column=column),
        critical(
            "ExpectColumnValuesToBeBetween",
            "modstamps are not absurd (2000 .. now)",
            column=column,
            min_value=EARLIEST,
            max_value=latest,
        ),
    ]


def _accounts(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        *_ids(),
        *_modstamps(params),
        *tolerated(
            "ExpectColumnValuesToBeInSet",
            "account owners resolve to a known user",
            MAX_UNRESOLVED_OWNER_SHARE,
            column="owner_resolvable",
            value_set=[True],
        ),
    ]


def _plain_table(params: SuiteParams) -> list[gxe.Expectation]:
    return [*_ids(), *_modstamps(params)]


def _visits(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        *_ids(),
        *_modstamps(params),
        *tolerated(
            "ExpectColumnValuesToNotBeNull", "visit dates parse", MAX_BAD_DATE_SHARE, column="visit_date"
        ),
        *tolerated(
            "ExpectColumnValuesToBeBetween",
            "no visit before 2000",
            MAX_BAD_DATE_SHARE,
            column="visit_date",
            min_value=EARLIEST,
        ),
        *tolerated(
            "ExpectColumnValuesToBeInSet",
            "no completed visit after the as-of date (the models count it as planned)",
            MAX_BAD_DATE_SHARE,
            column="completed_after_as_of",
            value_set=[False],
        ),
        *tolerated(
            "ExpectColumnValuesToBeInSet",
            "the visit's account is known (orphan visits count for nobody)",
            MAX_ORPHAN_SHARE,
            column="account_known",
            value_set=[True],
        ),
    ]


# ---- raw layer ------------------------------------------------------------------------------------
_SF = "raw_salesforce"
_HS = "raw_hubspot"

# Visit dates as staging makes them: a timestamp becomes a calendar date in the rules' timezone
# (macro local_date: timezone(zone, ts)), so a suite and the marts agree on which day a visit was.
_SALESFORCE_VISITS = f"""
with visits as (
    select id,
           coalesce(account_id, case when what_id like {{account_id_like}} then what_id end) as account_id,
           coalesce(activity_date, cast(timezone({{timezone}}, start_date_time) as date)) as visit_date,
           false as completed, timezone('UTC', system_modstamp) as modstamp
    from {_SF}.event
    where not coalesce(is_deleted, false) and type in ({{visit_event_types}})
      and id not in {{salesforce_quarantined}}
    union all
    select id, coalesce(account_id, case when what_id like {{account_id_like}} then what_id end),
           activity_date, true, timezone('UTC', system_modstamp)
    from {_SF}.task
    where not coalesce(is_deleted, false)
      and type in ({{visit_task_types}}) and status in ({{visit_task_statuses}})
      and id not in {{salesforce_quarantined}}
)
select visits.*,
       -- an account in quarantine (stamped in the future) is known, just not loaded
       account.id is not null or visits.account_id in {{salesforce_quarantined}} as account_known,
       coalesce(completed and visit_date > {{as_of}}, false) as completed_after_as_of
from visits left join {_SF}.account on account.id = visits.account_id
"""

_HUBSPOT_VISITS = f"""
with visits as (
    select id, company_ids,
           coalesce(cast(timezone({{timezone}}, hs_meeting_start_time) as date),
                    cast(timezone({{timezone}}, hs_timestamp) as date)) as visit_date,
           hs_meeting_outcome, timezone('UTC', hs_lastmodifieddate) as modstamp
    from {_HS}.meetings
    where not coalesce(archived, false)
      and coalesce(hs_meeting_outcome, '') not in ({{excluded_meeting_outcomes}})
      and id not in {{hubspot_quarantined}}
),
-- one row per (meeting, company): a join, where a correlated list_contains per company was a nested
-- loop over meetings x companies (~20 s at 10k companies). unnest(string_to_array(...)) reads the same
-- on both engines (DuckDB's string_to_array is its string_split; PostgreSQL has no string_split).
visit_companies as (select id, unnest(string_to_array(company_ids, ',')) as company_id from visits)
select id, company_ids, visit_date, modstamp,
       coalesce(hs_meeting_outcome = 'COMPLETED' and visit_date > {{as_of}}, false) as completed_after_as_of,
       -- a company in quarantine (stamped in the future) is known, just not loaded
       coalesce(id in (select id from visit_companies
                       where company_id in (select id from {_HS}.companies)
                          or company_id in {{hubspot_quarantined}}), false) as account_known
from visits
"""


def _raw_suites(
    crm: str, schema: str, accounts_sql: str, visits_table: str, visits_sql: str, plain: dict[str, str]
) -> list[SuiteSpec]:
    account_table = "account" if crm == "salesforce" else "companies"
    # A CRM that is not configured has no raw tables: its suites are skipped, not failed.
    needs = (f"{schema}.{account_table}", f"{schema}.{visits_table}", *(f"{schema}.{t}" for t in plain))
    visit_examples = ["id", "account_id" if crm == "salesforce" else "company_ids", "visit_date"]
    specs = [
        SuiteSpec(
            f"{crm}_accounts",
            f"{schema}.{account_table}",
            (crm, account_table),
            accounts_sql,
            _accounts,
            ["id", "owner_id"],
            needs,
        ),
        SuiteSpec(
            f"{crm}_visits",
            f"{schema}.{visits_table} (visits)",
            (crm, visits_table),
            visits_sql,
            _visits,
            visit_examples,
            needs,
        ),
    ]
    specs += [
        SuiteSpec(
            f"{crm}_{table}",
            f"{schema}.{table}",
            (crm, table),
            f"select id, timezone('UTC', {modstamp}) as modstamp from {schema}.{table}",
            _plain_table,
            ["id"],
            needs,
        )
        for table, modstamp in plain.items()
    ]
    return specs


RAW_SUITES: dict[str, list[SuiteSpec]] = {
    "salesforce": _raw_suites(
        "salesforce",
        _SF,
        f"""select a.id, a.owner_id, timezone('UTC', a.system_modstamp) as modstamp,
                   case when not coalesce(a.is_deleted, false) then u.id is not null end as owner_resolvable
            from {_SF}.account a left join {_SF}.user u on u.id = a.owner_id""",
        "event",
        _SALESFORCE_VISITS,
        {
            "user": "system_modstamp",
            "contact": "system_modstamp",
            "opportunity": "system_modstamp",
            "task": "system_modstamp",
        },
    ),
    "hubspot": _raw_suites(
        "hubspot",
        _HS,
        f"""select c.id, c.hubspot_owner_id as owner_id, timezone('UTC', c.hs_lastmodifieddate) as modstamp,
                   case when not coalesce(c.archived, false) then o.id is not null end as owner_resolvable
            from {_HS}.companies c left join {_HS}.owners o on o.id = c.hubspot_owner_id""",
        "meetings",
        _HUBSPOT_VISITS,
        {
            "owners": "updated_at",
            "contacts": "hs_lastmodifieddate",
            "deals": "hs_lastmodifieddate",
            "tasks": "hs_lastmodifieddate",
        },
    ),
}


# ---- marts ---------------------------------------------------------------------------------------
MARTS = "marts"


def _account_cadence(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        *_ids("account_key"),
        critical(
            "ExpectColumnValuesToBeInSet",
            "cadence_status is one of the contract's",
            column="cadence_status",
            value_set=CADENCE_STATUSES,
        ),
        critical(
            "ExpectColumnValuesToBeInSet",
            "status is active or prospect",
            column="status",
            value_set=["active", "prospect"],
        ),
        warning(
            "ExpectColumnValuesToBeInSet",
            "overdue accounts have an owner who can act (an active user, or the rules' fallback owner); "
            "else no task is written: reassign them in the CRM",
            column="overdue_owner_can_act",
            value_set=[True],
        ),
        critical(
            "ExpectColumnPairValuesToBeEqual",
            "days_overdue = as-of - next_visit_due",
            column_A="days_overdue",
            column_B="expected_days_overdue",
        ),
    ]


def _task_creates(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        *_ids("task_key"),
        critical(
            "ExpectColumnValuesToNotBeNull", "every task has an owner (a rep to nag)", column="owner_id"
        ),
    ]


def _open_tasks(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        critical(
            "ExpectColumnValuesToBeBetween",
            "no account has two open pipeline tasks after the writeback",
            column="open_tasks",
            max_value=1,
        )
    ]


def _volume(params: SuiteParams) -> list[gxe.Expectation]:
    floor = 1 - MAX_VOLUME_DROP
    return [
        critical(
            "ExpectColumnValuesToBeBetween",
            f"in-scope accounts dropped by at most {MAX_VOLUME_DROP:.0%} since the last successful run",
            column="account_ratio",
            min_value=floor,
        ),
        critical(
            "ExpectColumnValuesToBeBetween",
            f"visits dropped by at most {MAX_VOLUME_DROP:.0%} since the last successful run",
            column="visit_ratio",
            min_value=floor,
        ),
        # Reported here; the hard stop is the writeback's own guard, which fires before any write and
        # names the flag that lifts it (--max-tasks-per-run), so one limit has one message.
        warning(
            "ExpectColumnValuesToBeBetween",
            f"the queue fits max_tasks_per_run={params.max_tasks_per_run}",
            column="queue_size",
            max_value=params.max_tasks_per_run,
        ),
    ]


def _rejected(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        warning(
            "ExpectColumnValuesToBeNull",
            "no record is in quarantine (a value that cannot be typed, a modstamp after the CRM's clock, "
            f"or out of the range of {params.rules_label}): its account gets no task until the CRM's copy "
            "is fixed",
            column="reason",
        )
    ]


REJECTED = "intermediate.int_rejected_records"
QUEUE = f"{MARTS}.overdue_visit_tasks"
CADENCE = f"{MARTS}.account_cadence"

MART_SUITES: list[SuiteSpec] = [
    SuiteSpec(
        "marts_account_cadence",
        CADENCE,
        ("account_cadence",),
        f"""select *, {{as_of}} - next_visit_due as expected_days_overdue,
                   case when is_overdue then owner_is_active or {{fallback_owner}} end
                       as overdue_owner_can_act
            from {CADENCE}""",
        _account_cadence,
        ["account_key", "days_overdue", "next_visit_due"],
    ),
    SuiteSpec(
        "marts_task_creates",
        f"{QUEUE} (action = 'create')",
        ("overdue_visit_tasks",),
        f"select * from {QUEUE} where action = 'create'",
        _task_creates,
        ["task_key", "account_key"],
    ),
    SuiteSpec(
        "marts_open_tasks_after_writeback",
        f"{QUEUE} + intermediate.int_pipeline_tasks",
        ("overdue_visit_tasks",),
        f"""
        select account_key, count(*) as open_tasks from (
            select account_key from intermediate.int_pipeline_tasks
            where is_open and crm_task_id not in (select crm_task_id from {QUEUE} where action = 'close')
            union all
            select account_key from {QUEUE} where action = 'create'
        ) open_rows group by account_key""",
        _open_tasks,
        ["account_key"],
    ),
    SuiteSpec(
        "records_in_quarantine",
        REJECTED,
        ("int_rejected_records",),
        f"select * from {REJECTED}",
        _rejected,
        ["crm", "object_name", "record_id", "column_name", "value"],
    ),
]

# Filled in by expectations.history (counts now vs. the last successful run's baseline).
VOLUME_SUITE = SuiteSpec(
    "run_over_run_volume",
    f"{CADENCE} and {QUEUE} vs cadence_ops.quality_runs",
    ("overdue_visit_tasks",),
    "",
    _volume,
    ["crm", "accounts", "baseline_accounts", "visits", "baseline_visits", "queue_size"],
)


def _rules_fit(params: SuiteParams) -> list[gxe.Expectation]:
    return [
        warning(
            "ExpectColumnValuesToBeBetween",
            f"every picklist value in {params.rules_label} matches a record (else: a typo, or a label "
            "where the API name belongs)",
            column="records",
            min_value=1,
        ),
        critical(
            "ExpectColumnValuesToBeInSet",
            f"no account-status value of {params.rules_label} matches nothing while most accounts are "
            "out of scope",
            column="blocks",
            value_set=[False],
        ),
    ]


# Filled in by expectations.rules_fit (configured picklist values against the raw records).
RULES_FIT_SUITE = SuiteSpec(
    "rules_match_the_data",
    "the rules file's picklist values vs the raw records",
    ("account_cadence",),
    "",
    _rules_fit,
    ["crm", "rule", "value", "records"],
)
