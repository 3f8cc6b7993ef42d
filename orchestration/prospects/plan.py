"""What the prospect writeback reads from the warehouse: the candidates with their referrers, and what
it already created this month (`cadence_ops.prospect_intake`, its history: the monthly quota's count).
Through the warehouse interface (ingest/warehouse.py), in SQL both DuckDB and PostgreSQL run."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from ingest.warehouse import Warehouse, WarehouseArg, connect
from orchestration.prospects.selection import Candidate, ProspectAction, Referrer

INTAKE_TABLE = "cadence_ops.prospect_intake"
_DDL = f"""
create schema if not exists cadence_ops;
create table if not exists {INTAKE_TABLE} (
    run_id varchar not null,
    crm varchar not null,
    owner_id varchar not null,
    prospect_key varchar not null,
    as_of_month date not null,
    crm_account_id varchar,
    recorded_at timestamptz not null
);
"""
_INTAKE_COLUMNS = (
    "run_id", "crm", "owner_id", "prospect_key", "as_of_month", "crm_account_id", "recorded_at",
)  # fmt: skip
_CANDIDATES_SQL = """
select crm, owner_id, candidate_rank, location_key, location_name, candidate_kind, address_line_1, city,
       state, zip5, organization_npis, referrer_count
from marts.new_provider_candidates where crm = ? order by owner_id, candidate_rank
"""
# The referrers at the candidates' locations, with the names NPPES gives them.
_REFERRERS_SQL = """
select p.location_key, p.npi, s.first_name, s.last_name
from intermediate.int_registry_providers p
inner join staging.stg_registries__providers s on p.npi = s.npi
where p.is_referrer and p.location_key in (select location_key from marts.new_provider_candidates)
order by p.location_key, p.npi
"""


def month_of(as_of: date) -> date:
    return as_of.replace(day=1)


def read_candidates(warehouse: WarehouseArg, crm: str) -> list[Candidate]:
    """marts.new_provider_candidates of `crm`, each with its location's referrers."""
    with connect(warehouse, read_only=True) as con:
        if not con.table_exists("marts.new_provider_candidates"):
            return []
        rows = con.execute(_CANDIDATES_SQL, [crm]).fetchall()
        referrers: dict[str, list[Referrer]] = defaultdict(list)
        if rows:
            for location_key, npi, first, last in con.execute(_REFERRERS_SQL).fetchall():
                referrers[location_key].append(Referrer(npi, first, last))
    return [Candidate(*row, referrers=tuple(referrers[row[3]])) for row in rows]


def created_this_month(warehouse: WarehouseArg, crm: str, as_of: date) -> Counter[str]:
    """Prospect accounts created per rep in the as-of's month (the quota's count)."""
    with connect(warehouse, read_only=True) as con:
        if not con.table_exists(INTAKE_TABLE):
            return Counter()
        rows = con.execute(
            f"select owner_id, count(distinct prospect_key) from {INTAKE_TABLE} "
            "where crm = ? and as_of_month = ? group by 1",
            [crm, month_of(as_of)],
        ).fetchall()
    return Counter({owner: int(count) for owner, count in rows})


def record_intake(
    con: Warehouse,
    run_id: str,
    crm: str,
    as_of: date,
    created: Iterable[tuple[ProspectAction, str | None]],
) -> None:
    """Count the accounts this run created (or found made after a lost answer) against their rep's month."""
    rows = [
        (run_id, crm, action.owner_id, action.task_key, month_of(as_of), crm_id, datetime.now(UTC))
        for action, crm_id in created
    ]
    con.execute(_DDL)
    con.insert_rows(INTAKE_TABLE, _INTAKE_COLUMNS, rows)
