"""What the cadence report shows, read from the marts (and the writeback ledger) in one read-only pass.

The SQL runs on DuckDB and PostgreSQL alike (issue 16): no QUALIFY (a ranked CTE), no GROUP/ORDER BY
ALL (positions), `?` parameters, and NULLS LAST spelled out on descending orders (DuckDB's default
for every order, PostgreSQL's for ascending ones only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from ingest.errors import UsageError
from ingest.tables import table_exists
from ingest.warehouse import Warehouse, WarehouseArg, connect
from orchestration.kpi_history import read_history
from orchestration.report.people import (
    read_leaderboard,
    read_slipping_sources,
    read_unmet_referrers,
    with_account_links,
)
from orchestration.report.territory import read_new_providers, registries_loaded
from orchestration.rules import Rules
from orchestration.writeback.ledger import TABLE as LEDGER_TABLE

UNDER_VISITED_PER_REP = 5  # how many accounts per rep the report calls out as under-visited
CADENCE_STATUSES = ("overdue", "due_soon", "never_visited", "on_track")

# One label per rep. Owner ids are per CRM and two CRMs may hold a rep of the same name: such names
# get their CRM appended so the report never merges two owners. Unowned accounts are one "rep".
REPS_CTE = """
reps as (
    select
        owner_id,
        coalesce(owner_name, owner_id, '(no owner)')
            || case when owner_name is not null and count(*) over (partition by owner_name) > 1
                then ' · ' || crms else '' end as rep
    from (
        select owner_id, max(owner_name) as owner_name, string_agg(distinct crm, '+' order by crm) as crms
        from marts.account_cadence
        group by owner_id
    ) owners
)
"""

_RHYTHM = f"""
with {REPS_CTE}
select
    reps.rep, r.owner_id, r.active_accounts, r.active_overdue, r.on_cadence_pct,
    r.prospects_in_progress, r.new_prospects_this_month, r.new_prospects_last_month,
    r.ready_to_reclassify, r.visits_last_30d,
    round(r.visits_last_30d * 7.0 / 30, 1) as visits_per_week
from marts.rep_rhythm r
join reps using (owner_id)
order by reps.rep
"""

_STATUS_COUNTS = f"""
with {REPS_CTE}
select reps.rep, a.cadence_status, count(*) as accounts
from marts.account_cadence a
join reps on a.owner_id is not distinct from reps.owner_id
group by 1, 2
order by 1, 2, 3
"""

# Visits per ISO week over the 12 full weeks before as-of, zero-filled so quiet weeks show as dips.
_WEEKLY_VISITS = f"""
with {REPS_CTE},
weeks as (
    select cast(week_start as date) as week
    from generate_series(
        date_trunc('week', cast(? as timestamp)) - interval '12 weeks',
        date_trunc('week', cast(? as timestamp)) - interval '1 week',
        interval '1 week') as series(week_start)
),
visits as (
    select a.owner_id, cast(date_trunc('week', cast(g.visit_date as timestamp)) as date) as week,
        count(*) as visits
    from marts.visit_gaps g
    join marts.account_cadence a using (account_key)
    group by 1, 2
)
select reps.rep, weeks.week, coalesce(visits.visits, 0) as visits
from reps
cross join weeks
left join visits on visits.owner_id is not distinct from reps.owner_id and visits.week = weeks.week
where reps.owner_id is not null
order by 1, 2, 3
"""

_WATERFALL = f"""
with {REPS_CTE}
select reps.rep, w.cohort_month, s.stage, s.prospects
from marts.prospect_waterfall w
join reps using (owner_id)
cross join lateral (values
    (1, w.prospects_started), (2, w.reached_visit_2), (3, w.reached_visit_3),
    (4, w.reached_visit_4), (5, w.reached_visit_5)
) as s(stage, prospects)
order by 1, 2, 3, 4
"""

_FLAGGED_PROSPECTS = f"""
with {REPS_CTE},
flagged as (
    select
        reps.rep,
        case when p.ready_to_reclassify then 'ready to reclassify' else 'stalled' end as flag,
        a.account_name, p.cohort_month, p.visit_count, a.last_visit_date, a.days_overdue, p.account_key,
        a.crm, a.crm_account_id
    from marts.prospect_progression p
    join marts.account_cadence a using (account_key)
    join reps on p.owner_id is not distinct from reps.owner_id
    where p.ready_to_reclassify or p.stalled
),
ranked as (
    select *, row_number() over (
        partition by rep, flag order by days_overdue desc nulls last, account_name, account_key
    ) as _rank
    from flagged
)
select rep, flag, account_name, cohort_month, visit_count, last_visit_date, days_overdue, account_key,
    crm, crm_account_id
from ranked
where _rank <= ?
order by rep, flag, days_overdue desc nulls last, account_name, account_key
"""

_OVERDUE = f"""
with {REPS_CTE},
ranked as (
    select
        reps.rep, a.account_name, a.status, a.last_visit_date, a.cadence_days, a.next_visit_due,
        a.days_overdue, a.account_key, a.crm, a.crm_account_id,
        count(*) over (partition by reps.rep) as rep_total,
        row_number() over (
            partition by reps.rep order by a.days_overdue desc nulls last, a.account_name, a.account_key
        ) as _rank
    from marts.account_cadence a
    join reps on a.owner_id is not distinct from reps.owner_id
    where a.is_overdue
)
select rep, account_name, status, last_visit_date, cadence_days, next_visit_due, days_overdue,
    account_key, crm, crm_account_id, rep_total
from ranked
where _rank <= ?
order by rep, days_overdue desc nulls last, account_name, account_key
"""

_ALLOCATION = f"""
with {REPS_CTE},
ranked as (
select
    reps.rep, a.account_name, r.account_key, r.referrer_count, r.referrals_12m, r.potential_rank,
    r.visits_180d, r.visit_share, r.potential_share, r.allocation_gap, a.crm, a.crm_account_id,
    row_number() over (
        partition by reps.rep order by r.allocation_gap desc nulls last, r.potential_rank, r.account_key
    ) as under_visited_rank
from marts.referral_potential r
join marts.account_cadence a using (account_key)
join reps on r.owner_id = reps.owner_id  -- shares are per rep: unowned accounts have no rep to share
)
select *, under_visited_rank <= {UNDER_VISITED_PER_REP} and allocation_gap > 0 as under_visited
from ranked
order by rep, under_visited_rank
"""

# The latest ledger row per task the run touched (a row is written before each CRM call and
# another when it settles).
_RUN_LEDGER = f"""
run_ledger as (
    select * from (
        select *, row_number() over (partition by task_key, action order by recorded_at desc) as _latest
        from {LEDGER_TABLE}
        where run_id = ?
    ) entries
    where _latest = 1
)
"""
WRITTEN_OUTCOMES = ("created", "closed", "dry_run")

_RUN_TASKS = f"""
with {REPS_CTE}, {_RUN_LEDGER},
tasks as (
    select
        coalesce(reps.rep, '(account out of scope)') as rep, l.crm, l.action, l.outcome,
        a.account_name, a.days_overdue, l.crm_task_id, l.task_key, l.crm_account_id
    from run_ledger l
    left join marts.account_cadence a on a.crm = l.crm and a.crm_account_id = l.crm_account_id
    left join reps on a.owner_id is not distinct from reps.owner_id
),
ranked as (
    select *, count(*) over (partition by rep) as rep_total,
        row_number() over (partition by rep order by action, days_overdue desc nulls last, task_key) as _rank
    from tasks
)
select rep, crm, action, outcome, account_name, days_overdue, crm_task_id, task_key, crm_account_id,
    rep_total
from ranked
where _rank <= ?
order by rep, action, days_overdue desc nulls last, task_key
"""

_TASKS_WRITTEN = f"""
with {_RUN_LEDGER}
select count(*) from run_ledger where outcome in {WRITTEN_OUTCOMES}
"""

# days_overdue = as-of − next_visit_due for every account (data contract), so the marts carry their date.
_AS_OF = (
    "select min(next_visit_due + days_overdue::int), max(next_visit_due + days_overdue::int) "
    "from marts.account_cadence"
)
_LATEST_RUN = f"select run_id from {LEDGER_TABLE} order by recorded_at desc limit 1"


@dataclass(frozen=True)
class ReportData:
    as_of: date | None
    run_id: str | None
    rhythm: pd.DataFrame
    weekly_visits: pd.DataFrame
    status_counts: pd.DataFrame
    waterfall: pd.DataFrame
    flagged_prospects: pd.DataFrame
    overdue: pd.DataFrame
    allocation: pd.DataFrame
    run_tasks: pd.DataFrame
    tasks_written: int  # created, closed or (dry run) planned by the run, all reps
    rules: Rules = field(default_factory=Rules)  # the target, the graduation visits, the windows
    leaderboard: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per person
    kpi_history: pd.DataFrame = field(default_factory=pd.DataFrame)  # the nightly snapshots, 12 weeks
    slipping_sources: pd.DataFrame = field(default_factory=pd.DataFrame)  # per person, referral_trend
    unmet_referrers: pd.DataFrame = field(default_factory=pd.DataFrame)  # never met, top-potential accounts
    new_providers: pd.DataFrame = field(default_factory=pd.DataFrame)  # per person, registry candidates
    registries_loaded: bool = False  # any registry location in the warehouse (else the empty state)


_RUNS = f"""
select run_id, min(recorded_at) as started, count(distinct task_key) as tasks
from {LEDGER_TABLE} group by run_id order by started desc
"""


def list_runs(warehouse: WarehouseArg) -> list[tuple[str, datetime, int]]:
    """(run id, first ledger entry, task keys acted on) of every run in the ledger, latest first."""
    with connect(warehouse, read_only=True) as con:
        return con.execute(_RUNS).fetchall() if table_exists(con, LEDGER_TABLE) else []  # type: ignore[return-value]


def find_run(warehouse: WarehouseArg, run_id: str) -> str:
    """The full id of the run `run_id` names (its id or a unique prefix, as in report file names);
    UsageError naming `cadence report --list-runs` when the ledger has no such run."""
    with connect(warehouse, read_only=True) as con:
        sql = f"select distinct run_id from {LEDGER_TABLE} where starts_with(run_id, ?)"
        rows = con.execute(sql, [run_id]).fetchall() if table_exists(con, LEDGER_TABLE) else []
    if len(rows) != 1:
        what = "matches several runs" if rows else "is not a run"
        raise UsageError(
            f"--run-id {run_id} {what} in {warehouse}; list the runs with "
            f"`cadence report --list-runs --warehouse {warehouse}`"
        )
    return str(rows[0][0])


def read_report_data(
    warehouse: WarehouseArg, run_id: str | None = None, cap: int = 50, rules: Rules | None = None
) -> ReportData:
    """Everything the report shows. `run_id` picks the run whose tasks are listed (default: the
    latest run in the ledger); `cap` bounds each rep's long lists so the page stays small; `rules`
    (default: the built-in ones) name the target and windows the marts were built with."""
    with connect(warehouse, read_only=True) as con:
        as_of = _as_of(con)
        has_ledger = table_exists(con, LEDGER_TABLE)
        if run_id is None and has_ledger:
            row = con.execute(_LATEST_RUN).fetchone()
            run_id = row[0] if row else None

        def query(sql: str, *params: object) -> pd.DataFrame:
            return con.fetch_df(sql, params)

        def linked(sql: str, *params: object) -> pd.DataFrame:  # rows of accounts: + account_url
            return with_account_links(query(sql, *params), con)

        return ReportData(
            as_of=as_of,
            run_id=run_id,
            rhythm=query(_RHYTHM),
            weekly_visits=query(_WEEKLY_VISITS, as_of, as_of) if as_of else _empty("rep", "week", "visits"),
            status_counts=query(_STATUS_COUNTS),
            waterfall=query(_WATERFALL),
            flagged_prospects=linked(_FLAGGED_PROSPECTS, cap),
            overdue=linked(_OVERDUE, cap),
            allocation=linked(_ALLOCATION),
            run_tasks=(
                linked(_RUN_TASKS, run_id, cap)
                if has_ledger and run_id
                else _empty("rep", "crm", "action", "outcome", "account_name", "days_overdue", "rep_total")
            ),
            tasks_written=(
                con.execute(_TASKS_WRITTEN, [run_id]).fetchone()[0]  # type: ignore[index]
                if has_ledger and run_id
                else 0
            ),
            rules=rules or Rules(),
            leaderboard=read_leaderboard(con),
            kpi_history=read_history(con, as_of),
            slipping_sources=read_slipping_sources(con, cap),
            unmet_referrers=read_unmet_referrers(con, cap),
            new_providers=read_new_providers(con),
            registries_loaded=registries_loaded(con),
        )


def _as_of(con: Warehouse) -> date | None:
    row = con.execute(_AS_OF).fetchone()
    if not row or row[0] is None or row[0] != row[1]:
        return None
    return row[0]



def _empty(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in columns})
