"""The nightly association re-read end to end, on the realistic HubSpot profile over real HTTP.

On that profile (like a real portal) adding or removing an association does not move the record's
modstamp, so only the re-read (ingest/hubspot/associations.py) can see it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hubspot import HubSpot

from ingest.hubspot import sync_hubspot
from ingest.hubspot.associations import DEFAULT_MEETING_REREAD_DAYS, meetings_reread_since
from ingest.hubspot.helpers import HubSpotClient
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config
from ingest.sync_result import SyncResult
from orchestration.rules import Rules
from tests.conftest import StartSandbox
from tests.orchestration.harness import FAST, is_open, pipeline_tasks, run_audit, task_key
from tests.orchestration.org import AS_OF, HS_CREATED, hand_made_org, hs_company_id, hs_meeting_properties

REALISTIC = {"profile": "realistic"}
NOW = datetime.now(UTC)
STAMP = "2026-01-05T09:00:00.000Z"
# The sandbox clock, moved on to "the next night": past the realistic search lag (3 s), so that the
# incremental search sees the day's writes as it would hours later.
NEXT_NIGHT = timedelta(hours=8)


def _wire(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _record(record_id: str, links: list[str] | None, **properties: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": record_id,
        "properties": {"hs_lastmodifieddate": STAMP, "lastmodifieddate": STAMP, **properties},
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
    }
    if links is not None:
        record["associations"] = {"companies": links}
    return record


def _meeting(record_id: str, start: datetime, links: list[str]) -> dict[str, Any]:
    return _record(
        record_id, links, hs_meeting_title="Drop-in", hs_meeting_start_time=_wire(start),
        hs_timestamp=_wire(start), hs_meeting_outcome="COMPLETED", hs_createdate=STAMP,
    )  # fmt: skip


def _org() -> dict[str, Any]:
    return {
        "hubspot": {
            "_behaviour": REALISTIC,
            "companies": [
                _record("9001", None, name="Lakeside Practice", lifecyclestage="customer"),
                _record("9002", None, name="Mercy General", lifecyclestage="lead"),
            ],
            "contacts": [
                _record("501", ["9001"], firstname="Ann", jobtitle="Physician"),
                _record("502", ["9001"], firstname="Bo", jobtitle="Case Manager"),
            ],
            "meetings": [
                _meeting("701", NOW - timedelta(days=2), []),  # in the re-read window, no company yet
                _meeting("702", NOW - timedelta(days=300), []),  # before the window
            ],
            "deals": [_record("601", ["9001"], dealname="Referral – J. Doe", createdate=STAMP)],
        }
    }


def _api(running: RunningSandbox, method: str, path: str, json: Any = None) -> dict[str, Any]:
    client = HubSpotClient(hubspot_config(running), FAST)
    try:
        return client.request(method, path, json=json)
    finally:
        client.close()


def _associate(
    running: RunningSandbox, object_type: str, record_id: str, to_id: str, to_type: str = "companies"
) -> None:
    """v4's default association (what a rep's click makes), through the real client."""
    path = f"/crm/v4/objects/{object_type}/{record_id}/associations/default/{to_type}/{to_id}"
    _api(running, "PUT", path)


def _dissociate(running: RunningSandbox, object_type: str, record_id: str, company_id: str) -> None:
    _api(running, "DELETE", f"/crm/v4/objects/{object_type}/{record_id}/associations/companies/{company_id}")


def _retitle(running: RunningSandbox, contact_id: str, title: str) -> None:
    _api(running, "PATCH", f"/crm/v3/objects/contacts/{contact_id}", {"properties": {"jobtitle": title}})


def _modstamp(running: RunningSandbox, object_type: str, record_id: str) -> str:
    return _api(running, "GET", f"/crm/v3/objects/{object_type}/{record_id}")["updatedAt"]


def _next_night(running: RunningSandbox) -> None:
    running.store.set_clock(lambda: datetime.now(UTC) + NEXT_NIGHT)


def _sync(running: RunningSandbox, warehouse: Path) -> SyncResult:
    return sync_hubspot(hubspot_config(running), warehouse, retry_base_seconds=FAST)


def _companies(warehouse: Path, table: str) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute(f"select id, company_ids from raw_hubspot.{table}").fetchall())


def _contacts(warehouse: Path, table: str) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute(f"select id, contact_ids from raw_hubspot.{table}").fetchall())


def _data(warehouse: Path, table: str) -> list[tuple[Any, ...]]:
    """Every data column of a raw table but company_ids / contact_ids (dlt's own columns left out)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [c[0] for c in con.sql(f"describe raw_hubspot.{table}").fetchall()]
        links = ("company_ids", "contact_ids")
        kept = ", ".join(n for n in names if not n.startswith("_dlt") and n not in links)
        return con.sql(f"select {kept} from raw_hubspot.{table} order by id").fetchall()


def _association_reads(running: RunningSandbox) -> dict[str, int]:
    return {
        name: running.counters[f"hubspot.associations.{name}.companies"]
        for name in ("contacts", "meetings", "tasks", "deals")
    }


def test_association_changes_without_a_modstamp_change_arrive_the_next_night(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org())
    warehouse = tmp_path / "warehouse.duckdb"
    _sync(running, warehouse)
    assert _companies(warehouse, "meetings") == {"701": "", "702": ""}
    before = {table: _data(warehouse, table) for table in ("contacts", "meetings", "deals")}
    stamps = {(t, i): _modstamp(running, t, i) for t, i in (("meetings", "701"), ("contacts", "502"))}

    # The next morning: the meeting gets its company, Bo leaves Lakeside, the deal moves to Mercy.
    _associate(running, "meetings", "701", "9001")
    _associate(running, "meetings", "702", "9002")
    _dissociate(running, "contacts", "502", "9001")
    _dissociate(running, "deals", "601", "9001")
    _associate(running, "deals", "601", "9002")
    # ... and the rep records whom she met (Ann) and who referred (Bo): contact links move no stamp either.
    _associate(running, "meetings", "701", "501", "contacts")
    _associate(running, "deals", "601", "502", "contacts")
    assert {key: _modstamp(running, *key) for key in stamps} == stamps  # no modstamp moved
    _next_night(running)
    running.counters.clear()
    night = _sync(running, warehouse)

    assert night.rows_by_table == {"contacts": 1, "meetings": 1, "deals": 1}  # only the changed rows
    assert _companies(warehouse, "meetings") == {"701": "9001", "702": ""}  # 702: before the window
    assert _companies(warehouse, "contacts") == {"501": "9001", "502": ""}
    assert _companies(warehouse, "deals") == {"601": "9002"}
    assert _contacts(warehouse, "meetings") == {"701": "501", "702": ""}
    assert _contacts(warehouse, "deals") == {"601": "502"}
    assert {table: _data(warehouse, table) for table in before} == before  # every other column kept
    # Meetings and deals re-read their contacts too: one more batch read each.
    assert [running.counters[f"hubspot.associations.{t}.contacts"] for t in ("meetings", "deals")] == [1, 1]
    # One v4 batch read per object (up to 1,000 ids each), on top of the one search per object.
    assert _association_reads(running) == {"contacts": 1, "meetings": 1, "tasks": 0, "deals": 1}
    assert running.counters["hubspot.search.meetings"] == 1

    # An unchanged night re-reads the same way and rewrites nothing.
    running.counters.clear()
    assert _sync(running, warehouse).rows_by_table == {}
    assert _association_reads(running) == {"contacts": 1, "meetings": 1, "tasks": 0, "deals": 1}


def test_a_record_changed_and_reassociated_the_same_day_is_loaded_once(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_org())
    warehouse = tmp_path / "warehouse.duckdb"
    _sync(running, warehouse)

    # Ann's title changes (her lastmodifieddate moves), then she moves to Mercy General.
    _retitle(running, "501", "Medical Director")
    _dissociate(running, "contacts", "501", "9001")
    _associate(running, "contacts", "501", "9002")
    _next_night(running)
    running.counters.clear()
    night = _sync(running, warehouse)

    assert night.rows_by_table == {"contacts": 1}  # read by the search, not loaded again by the re-read
    with duckdb.connect(str(warehouse), read_only=True) as con:
        contacts = con.execute("select id, jobtitle, company_ids from raw_hubspot.contacts order by id")
        assert contacts.fetchall() == [("501", "Medical Director", "9002"), ("502", "Case Manager", "9001")]
    # The changed page's own lookup, then the re-read of the other live contact.
    assert running.counters["hubspot.associations.contacts.companies"] == 2


def test_default_window_is_the_rules_visit_window_and_a_day() -> None:
    assert Rules().visit_window_days() == Rules().share_window_days == 180  # the longest default
    assert Rules().visit_window_days() + 1 == DEFAULT_MEETING_REREAD_DAYS
    assert meetings_reread_since(AS_OF, Rules().visit_window_days()) == date(2026, 5, 30)


# ---- the nightly job ----------------------------------------------------------------------------
MEETING_ID = "20999"  # logged on account 1 on the as-of date, associated with it only the next morning
CONTACT_ID = "40001"


def _nightly_org() -> dict[str, Any]:
    document = hand_made_org()
    hubspot = document["hubspot"]
    hubspot["_behaviour"] = REALISTIC
    properties = hs_meeting_properties(AS_OF.isoformat()) | {"hs_createdate": HS_CREATED,
                                                              "hs_lastmodifieddate": HS_CREATED}  # fmt: skip
    hubspot["meetings"].append(
        {"id": MEETING_ID, "properties": properties, "createdAt": HS_CREATED, "updatedAt": HS_CREATED,
         "archived": False, "associations": {"companies": []}}
    )  # fmt: skip
    contact = _record(CONTACT_ID, [hs_company_id(1)], firstname="Ann", lastname="Lee", jobtitle="Physician")
    hubspot["contacts"] = [contact]
    return document


def _account(warehouse: Path, n: int) -> tuple[Any, ...]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select last_visit_date::varchar, is_overdue from marts.account_cadence "
            "where crm = 'hubspot' and crm_account_id = ?",
            [hs_company_id(n)],
        ).fetchone()


def _open_task_accounts(running: RunningSandbox) -> set[str]:
    tasks = pipeline_tasks(running, "hubspot")
    return {task_key("hubspot", t).split(":")[1] for t in tasks if is_open("hubspot", t)}


@pytest.mark.slow
def test_meeting_associated_next_morning_counts_as_a_visit_and_closes_its_task(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_nightly_org())
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_audit(running, warehouse, AS_OF, crms=("hubspot",))
    assert first.summary.succeeded, first.summary.error
    assert _account(warehouse, 1) == ("2026-10-01", True)  # the meeting has no company yet
    assert hs_company_id(1) in _open_task_accounts(running)

    # The next morning the rep associates the meeting with account 1; Ann becomes Medical Director at
    # Harbor Clinic (account 2).
    stamp = _modstamp(running, "meetings", MEETING_ID)
    _associate(running, "meetings", MEETING_ID, hs_company_id(1))
    assert _modstamp(running, "meetings", MEETING_ID) == stamp
    _retitle(running, CONTACT_ID, "Medical Director")
    _dissociate(running, "contacts", CONTACT_ID, hs_company_id(1))
    _associate(running, "contacts", CONTACT_ID, hs_company_id(2))
    _next_night(running)
    second = run_audit(running, warehouse, AS_OF, crms=("hubspot",))

    assert second.summary.succeeded, second.summary.error
    assert _account(warehouse, 1) == (AS_OF.isoformat(), False)
    assert second.summary.writeback["hubspot"]["closed"] == 1
    assert _open_task_accounts(running) == {hs_company_id(n) for n in (2, 6, 7, 8)}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select job_title from staging.stg_hubspot__contacts where contact_id = ?", [CONTACT_ID]
        ).fetchall() == [("Medical Director",)]
        assert con.execute(
            "select company_id from staging.stg_hubspot__company_associations "
            "where object_type = 'contact' and object_id = ?",
            [CONTACT_ID],
        ).fetchall() == [(hs_company_id(2),)]


# ---- the first sync through the list endpoints -----------------------------------------------------
def _many_companies_org(companies: int) -> dict[str, Any]:
    document = _org()
    hubspot = document["hubspot"]
    hubspot["companies"] += [
        _record(str(9100 + n), None, name=f"Clinic {n}", lifecyclestage="lead") for n in range(companies)
    ]
    # Ann works with every clinic: more companies than a listed record carries inline (100).
    hubspot["contacts"][0]["associations"]["companies"] += [str(9100 + n) for n in range(companies)]
    return document


def test_first_sync_lists_records_with_their_companies_inline(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    running = start_sandbox(_many_companies_org(100))
    warehouse = tmp_path / "warehouse.duckdb"

    first = _sync(running, warehouse)

    assert first.rows_by_table == {"companies": 102, "contacts": 2, "meetings": 2, "deals": 1}
    searches = {k: n for k, n in running.counters.items() if k.startswith("hubspot.search.")}
    assert searches == {}  # no search: 5/s and its 10,000-result cap do not bind a first sync
    lists = {k: running.counters[f"hubspot.list.{k}"] for k in ("companies", "contacts", "meetings", "deals")}
    # Live and archived listings (100 a page): companies 102 live → 2 pages + 1 archived page; others 1 + 1.
    assert lists == {"companies": 3, "contacts": 2, "meetings": 2, "deals": 2}
    # Only Ann's 101 companies continue past the inline page: one v4 batch read for her alone.
    assert _association_reads(running) == {"contacts": 1, "meetings": 0, "tasks": 0, "deals": 0}
    everyone = ",".join(["9001", *(str(9100 + n) for n in range(100))])
    assert _companies(warehouse, "contacts") == {"501": everyone, "502": "9001"}
    assert _companies(warehouse, "deals") == {"601": "9001"}

    # The cursor was saved from the listing: the next night is an unchanged incremental one.
    running.counters.clear()
    assert _sync(running, warehouse).rows_by_table == {}
    # One search and one archived listing per object, as every unchanged night.
    assert running.counters["hubspot.search.contacts"] == 1 and running.counters["hubspot.list.contacts"] == 1


def test_listed_associations_past_100_continue_on_the_v4_list(start_sandbox: StartSandbox) -> None:
    """The sandbox side, through hubspot-api-client: 100 inline, then `after` continues on v4."""
    running = start_sandbox(_many_companies_org(100))
    config = hubspot_config(running)
    client = HubSpot(access_token=config.access_token, host=config.base_url)

    (ann,) = client.crm.contacts.basic_api.get_page(limit=1, associations=["companies"]).results
    inline = ann.associations["companies"]
    assert len(inline.results) == 100 and inline.paging.next.after == "9199"
    rest = client.crm.associations.v4.basic_api.get_page("contacts", ann.id, "companies", after="9199")
    assert [str(link.to_object_id) for link in rest.results] == ["9199"]
    assert rest.paging is None
