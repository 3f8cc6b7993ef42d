"""The report per person: the leaderboard (marts.rep_leaderboard, one row per person across CRMs)
and each account's link to its CRM record (the KPI history: orchestration/kpi_history.py).
Portable SQL, as in report/data.py (a ranked CTE for QUALIFY, `?` parameters)."""

from __future__ import annotations

import pandas as pd

from ingest.tables import table_exists
from ingest.warehouse import Warehouse
from orchestration.crm_links import ID, account_url_templates
from orchestration.kpi_history import LEADERBOARD

LEADERBOARD_COLUMNS = (
    "person_name", "email", "crms", "in_scope_accounts", "overdue_accounts", "on_cadence_pct",
    "new_prospects_this_month", "target_new_prospects_per_month", "visits_last_30d", "referrers",
    "referrers_met_in_window", "referrer_coverage_pct",
)  # fmt: skip
SLIPPING_TRENDS = ("slipping", "lapsed")  # an active source whose referrals fell, or stopped

# Per person, the sources whose referrals fell most first (marts.referral_trend).
_SLIPPING = f"""
with ranked as (
    select
        b.person_name as rep, b.person_key, a.account_name, b.crm, b.crm_account_id, t.trend,
        t.referrals_last_90d, t.referrals_prior_90d, t.referrals_12m, a.last_visit_date, a.days_overdue,
        count(*) over (partition by b.person_key) as rep_total,
        t.referrals_last_90d - t.referrals_prior_90d as _fall, t.account_key as _account_key,
        row_number() over (
            partition by b.person_key
            order by t.referrals_last_90d - t.referrals_prior_90d, a.account_name, t.account_key
        ) as _rank
    from marts.referral_trend t
    join marts.rep_accounts b using (account_key)
    join marts.account_cadence a using (account_key)
    where t.trend in {SLIPPING_TRENDS}
)
select rep, person_key, account_name, crm, crm_account_id, trend, referrals_last_90d, referrals_prior_90d,
    referrals_12m, last_visit_date, days_overdue, rep_total
from ranked
where _rank <= ?
order by rep, person_key, _fall, account_name, _account_key
"""

# Per person, the best accounts first, then who is there to meet (marts.rep_unmet_referrers).
_UNMET = """
with ranked as (
    select
        u.person_name as rep, u.person_key, a.account_name, u.crm, u.crm_account_id, u.potential_rank,
        u.referrer_count, u.contact_name, u.title, u.referrals_12m,
        count(*) over (partition by u.person_key) as rep_total, u.contact_key as _contact_key,
        row_number() over (
            partition by u.person_key order by u.potential_rank, a.account_name,
                u.referrals_12m desc nulls last, u.contact_name, u.contact_key
        ) as _rank
    from marts.rep_unmet_referrers u
    join marts.account_cadence a using (account_key)
)
select rep, person_key, account_name, crm, crm_account_id, potential_rank, referrer_count, contact_name,
    title, referrals_12m, rep_total
from ranked
where _rank <= ?
order by rep, person_key, potential_rank, account_name, referrals_12m desc nulls last, contact_name,
    _contact_key
"""

# Best on cadence first; ties by name, then key (two people may share a name, never a key).
_LEADERBOARD = f"""
select person_key, {", ".join(LEADERBOARD_COLUMNS)}
from {LEADERBOARD}
order by on_cadence_pct desc, person_name, person_key
"""


def read_leaderboard(con: Warehouse) -> pd.DataFrame:
    """One row per person (none before the mart exists: a warehouse built by an older version)."""
    if not table_exists(con, LEADERBOARD):
        return pd.DataFrame({name: [] for name in ("person_key", *LEADERBOARD_COLUMNS)})
    return con.fetch_df(_LEADERBOARD)


def read_slipping_sources(con: Warehouse, cap: int) -> pd.DataFrame:
    """Per person, at most `cap` slipping or lapsed sources, the steepest fall first, linked."""
    return with_account_links(con.fetch_df(_SLIPPING, [cap]), con)


def read_unmet_referrers(con: Warehouse, cap: int) -> pd.DataFrame:
    """Per person, at most `cap` referrers never met at the top-potential accounts, linked."""
    return with_account_links(con.fetch_df(_UNMET, [cap]), con)


def with_account_links(frame: pd.DataFrame, con: Warehouse) -> pd.DataFrame:
    """`frame` (with crm, crm_account_id) plus `account_url`: the account's record in its CRM, null
    when the CRM's instance was never looked up."""
    templates = account_url_templates(con)
    if frame.empty or not {"crm", "crm_account_id"} <= set(frame.columns):
        return frame.assign(account_url=pd.Series([None] * len(frame), index=frame.index, dtype="object"))
    urls = [
        templates[crm].replace(ID, str(account_id)) if crm in templates and account_id else None
        for crm, account_id in zip(frame["crm"], frame["crm_account_id"], strict=True)
    ]
    return frame.assign(account_url=pd.Series(urls, index=frame.index, dtype="object"))
