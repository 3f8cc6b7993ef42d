"""The report per person: the leaderboard (marts.rep_leaderboard, one row per person across CRMs)
and each account's link to its CRM record (the KPI history: orchestration/kpi_history.py)."""

from __future__ import annotations

import duckdb
import pandas as pd

from ingest.tables import table_exists
from orchestration.crm_links import ID, account_url_templates
from orchestration.kpi_history import LEADERBOARD

LEADERBOARD_COLUMNS = (
    "person_name", "email", "crms", "in_scope_accounts", "overdue_accounts", "on_cadence_pct",
    "new_prospects_this_month", "target_new_prospects_per_month", "visits_last_30d",
)  # fmt: skip

# Best on cadence first; ties by name, then key (two people may share a name, never a key).
_LEADERBOARD = f"""
select person_key, {", ".join(LEADERBOARD_COLUMNS)}
from {LEADERBOARD}
order by on_cadence_pct desc, person_name, person_key
"""


def read_leaderboard(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per person (none before the mart exists: a warehouse built by an older version)."""
    if not table_exists(con, LEADERBOARD):
        return pd.DataFrame({name: [] for name in ("person_key", *LEADERBOARD_COLUMNS)})
    return con.execute(_LEADERBOARD).df()


def with_account_links(frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
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
