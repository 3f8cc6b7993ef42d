"""The report's "New providers in your territory" (issue 15 item 7): per rep, a person across CRMs as in
the leaderboard, the best practice locations of the public registries that are not in the CRM
(marts.new_provider_candidates, ranked there per owner record by referrer count)."""

from __future__ import annotations

import pandas as pd

from ingest.tables import table_exists
from ingest.warehouse import Warehouse

CANDIDATES = "marts.new_provider_candidates"
LOCATIONS = "marts.practice_locations"
NEW_PROVIDERS_PER_REP = 10  # the waterfall takes 5 new prospects a month: twice that to choose from

# A candidate of two owner records of one person (Dana in Salesforce and in HubSpot) is listed once.
# rep_people.crm_owner_ids names each person's owner records as 'crm:owner_id, ...'.
_NEW_PROVIDERS = f"""
with owners as (
    select person_key, person_name, unnest(string_to_array(crm_owner_ids, ', ')) as owner_key
    from marts.rep_people
),
by_person as (
    select
        coalesce(owners.person_name, c.owner_name, c.owner_id) as rep,
        coalesce(owners.person_key, c.crm || ':' || c.owner_id) as person_key,
        c.*
    from {CANDIDATES} c
    left join owners on owners.owner_key = c.crm || ':' || c.owner_id
),
once as (
    select * from (
        select *,
            row_number() over (partition by person_key, location_key order by crm desc, owner_id) as _once
        from by_person
    ) numbered where _once = 1
)
select
    rep, person_key, location_key,
    coalesce(location_name, address_line_1) as provider_name, candidate_kind,
    concat_ws(', ', address_line_1, city, concat_ws(' ', state, zip5)) as address,
    referrer_count, individual_count, taxonomy_mix,
    count(*) over (partition by person_key) as rep_total,
    row_number() over (
        partition by person_key order by referrer_count desc, individual_count desc, location_key
    ) as _place
from once
"""
COLUMNS = (
    "rep", "person_key", "location_key", "provider_name", "candidate_kind", "address", "referrer_count",
    "individual_count", "taxonomy_mix", "rep_total",
)  # fmt: skip
# PostgreSQL has no QUALIFY: the per-person cap filters the ranked rows.
_NEW_PROVIDERS_CAPPED = f"""
select {", ".join(COLUMNS)}
from ({_NEW_PROVIDERS}) ranked where _place <= ?
order by rep, person_key, referrer_count desc, individual_count desc, location_key
"""


def registries_loaded(con: Warehouse) -> bool:
    """Whether the warehouse holds any registry location (the marts exist, empty, without a load)."""
    if not table_exists(con, LOCATIONS):
        return False
    row = con.execute(f"select count(*) from {LOCATIONS}").fetchone()
    return bool(row and row[0])


def read_new_providers(con: Warehouse, cap: int = NEW_PROVIDERS_PER_REP) -> pd.DataFrame:
    """Per person, at most `cap` candidates, most referrers first (none before the marts exist)."""
    if not (table_exists(con, CANDIDATES) and table_exists(con, "marts.rep_people")):
        return _no_providers()
    frame = con.fetch_df(_NEW_PROVIDERS_CAPPED, [cap])
    # No candidates (no registry loaded): one empty frame on both engines (DuckDB's .df() of an empty
    # result types its text columns object, pyarrow's str).
    return frame if not frame.empty else _no_providers()


def _no_providers() -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in COLUMNS})
