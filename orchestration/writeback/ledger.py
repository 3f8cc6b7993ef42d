"""The writeback ledger: every task action the pipeline attempted, and how it ended.

Rows are written ahead of each CRM call (`pending`) and then settled (`created`, `closed`, `failed`,
`dry_run`, `reconciled`). A `pending` row that never settled means the run died during that call;
the next run asks the CRM whether those tasks exist before writing anything.

A `created` (or `reconciled`) create whose task id the synced raw layer has not seen is held back from
the queue only until a sync completes after it (`unsynced_creates`): by then the raw layer should hold
the task, so a key still missing is looked up in the CRM by the writeback and re-created if absent. The
suppression always expires; it never hides an acknowledged write the CRM lost (issue 18 item 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ingest.tables import table_exists
from ingest.warehouse import Warehouse, WarehouseLocation, connect

# A CRM's sync completed when its raw checks ran after it and passed (or were overridden): a row a night.
from orchestration.load_gate import TABLE as SYNCS_COMPLETED

SCHEMA = "cadence_ops"
TABLE = f"{SCHEMA}.writeback_ledger"

# Where each CRM's raw tasks land: a task id found there has been synced back from the CRM.
RAW_TASK_TABLES = {"salesforce": "raw_salesforce.task", "hubspot": "raw_hubspot.tasks"}
# Prospect accounts the pipeline creates (orchestration/prospects) share this ledger: their keys start
# with this prefix, and their records land in the raw account tables.
PROSPECT_KEY_PREFIX = "prospect:"
RAW_ACCOUNT_TABLES = {"salesforce": "raw_salesforce.account", "hubspot": "raw_hubspot.companies"}


@dataclass(frozen=True)
class LedgerScope:
    """Which of the ledger's writes a Ledger settles: the task writeback's or the prospects'. One table,
    one algorithm; the scopes differ only in their keys and in the raw tables the records sync into."""

    prospects: bool
    raw_tables: dict[str, str]

    def keys_sql(self) -> str:
        test = f"starts_with(task_key, '{PROSPECT_KEY_PREFIX}')"
        return test if self.prospects else f"not {test}"


TASKS = LedgerScope(prospects=False, raw_tables=RAW_TASK_TABLES)
PROSPECTS = LedgerScope(prospects=True, raw_tables=RAW_ACCOUNT_TABLES)

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    run_id varchar not null,
    crm varchar not null,
    task_key varchar not null,
    action varchar not null,
    crm_account_id varchar,
    crm_task_id varchar,
    outcome varchar not null,
    error varchar,
    recorded_at timestamptz not null
);
"""


@dataclass(frozen=True)
class LedgerEntry:
    task_key: str
    action: str
    crm_account_id: str | None
    crm_task_id: str | None
    outcome: str
    error: str | None = None


class UnsyncedCreates(NamedTuple):
    """Creates the ledger holds as done whose task the raw layer has not seen, by what to do next."""

    suppressed: set[str]  # recorded after the last completed sync: the raw layer cannot hold them yet
    to_verify: set[str]  # a completed sync should have seen them: ask the CRM


_ENTRY_COLUMNS = [field.name for field in fields(LedgerEntry)]


class Ledger:
    def __init__(self, con: Warehouse | Any, run_id: str, crm: str, scope: LedgerScope = TASKS) -> None:
        """`con`: a warehouse connection (ingest/warehouse.py), or a DuckDB connection of a unit test."""
        self.con = Warehouse.wrap(con)
        self.run_id = run_id
        self.crm = crm
        self.scope = scope
        self.con.execute(_DDL)

    @classmethod
    def open(
        cls, warehouse: Path | str | WarehouseLocation, run_id: str, crm: str, scope: LedgerScope = TASKS
    ) -> Ledger:
        return cls(connect(warehouse), run_id, crm, scope)

    def close(self) -> None:
        self.con.close()

    def record(self, entries: Iterable[LedgerEntry]) -> None:
        """Append entries in one set-based insert (row-by-row executemany costs ~2 ms a row)."""
        now = datetime.now(UTC)
        rows = [(self.run_id, self.crm, *astuple(entry), now) for entry in entries]
        self.con.insert_rows(TABLE, ["run_id", "crm", *_ENTRY_COLUMNS, "recorded_at"], rows)

    def _latest(self) -> str:
        """Each (task_key, action)'s newest row of this CRM (a window in a subquery: PostgreSQL has no
        QUALIFY)."""
        return f"""
            select * from (
                select *,
                    row_number() over (partition by task_key, action order by recorded_at desc) as _rank
                from {TABLE} where crm = ? and {self.scope.keys_sql()}
            ) ranked where _rank = 1
        """

    def unsettled_creates(self) -> list[str]:
        """Task keys whose create was sent (or about to be) when an earlier run died."""
        latest = self._latest()
        sql = f"select task_key from ({latest}) latest where action = 'create' and outcome = 'pending'"
        return [row[0] for row in self.con.execute(sql, [self.crm]).fetchall()]

    def created_but_not_synced(self) -> set[str]:
        """Task keys created in the CRM that the raw layer cannot have seen yet (a writeback-only rerun)."""
        return self.unsynced_creates().suppressed

    def unsynced_creates(self) -> UnsyncedCreates:
        """Done creates missing from the raw layer, split at the last completed sync of this CRM."""
        raw_table = self.scope.raw_tables[self.crm]
        if not table_exists(self.con, raw_table):
            seen = "select null::varchar as id where false"
        else:
            seen = f"select id from {raw_table} where id is not null"
        sql = f"""
            select task_key, recorded_at from ({self._latest()}) latest
            where action = 'create' and outcome in ('created', 'reconciled')
              and crm_task_id not in ({seen})
        """
        rows = self.con.execute(sql, [self.crm]).fetchall()
        synced_at = self.last_completed_sync()
        return UnsyncedCreates(
            suppressed={key for key, at in rows if synced_at is None or at > synced_at},
            to_verify={key for key, at in rows if synced_at is not None and at <= synced_at},
        )

    def last_completed_sync(self) -> datetime | None:
        """When this CRM's newest sync completed (its raw checks ran after it); None before any."""
        if not table_exists(self.con, SYNCS_COMPLETED):
            return None
        rows = self.con.execute(
            f"select max(checked_at) from {SYNCS_COMPLETED} where crm = ?", [self.crm]
        ).fetchall()  # fetchall: a half-read result would block the connection's next register()
        return rows[0][0] if rows else None

    def done_creates(self) -> dict[str, str | None]:
        """Keys whose latest create is done (created or reconciled), with the CRM record's id."""
        sql = f"""select task_key, crm_task_id from ({self._latest()}) latest
                  where action = 'create' and outcome in ('created', 'reconciled')"""
        return dict(self.con.execute(sql, [self.crm]).fetchall())
