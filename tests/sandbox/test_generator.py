"""The org generator: deterministic, shaped like each CRM's API, realistic where the marts care."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.sandbox import OrgStore
from ingest.sandbox.generator import (
    JUNK_NAMES,
    generate_org,
    org_summary,
    salesforce_id_suffix,
    write_org,
)
from ingest.sandbox.hubspot.models import hubspot_timestamp
from ingest.sandbox.salesforce.models import salesforce_timestamp

ANCHOR = date(2026, 3, 1)
ACTIVE_TYPES = {"Active Referral Source", "Customer - Direct", "Customer - Channel"}
SF_ID = re.compile(r"^(001|003|005|006|00T|00U|0RE|00K)\d{12}[A-Z0-5]{3}$")


@pytest.fixture(scope="module")
def org() -> dict[str, Any]:
    return generate_org(accounts=2000, seed=7, anchor_date=ANCHOR)


@pytest.fixture(scope="module")
def clean_org() -> dict[str, Any]:
    return generate_org(accounts=500, seed=11, anchor_date=ANCHOR, junk=False)


# ---- reading an org the way the data contract does --------------------------------------------------
def salesforce_visit_dates(sf: dict[str, Any]) -> dict[str, set[str]]:
    """account id -> visit dates, by the contract's rules (Events Visit/Meeting, completed Visit Tasks)."""
    dates: dict[str, set[str]] = defaultdict(set)
    for event in sf["Event"]:
        if event["Type"] in ("Visit", "Meeting") and not event["IsDeleted"]:
            account = event["AccountId"] or event["WhatId"]
            dates[account].add(event["ActivityDate"] or event["StartDateTime"][:10])
    for task in sf["Task"]:
        if task["Type"] == "Visit" and task["Status"] == "Completed" and not task["IsDeleted"]:
            dates[task["AccountId"] or task["WhatId"]].add(task["ActivityDate"])
    return dates


def hubspot_visit_dates(hs: dict[str, Any]) -> dict[str, set[str]]:
    dates: dict[str, set[str]] = defaultdict(set)
    for meeting in hs["meetings"]:
        props = meeting["properties"]
        if meeting["archived"] or props["hs_meeting_outcome"] in ("CANCELED", "NO_SHOW"):
            continue
        for company in meeting["associations"]["companies"]:
            dates[company].add((props["hs_meeting_start_time"] or props["hs_timestamp"])[:10])
    return dates


def salesforce_visit_records(sf: dict[str, Any]) -> list[dict[str, Any]]:
    return sf["Event"] + [task for task in sf["Task"] if task["Type"] == "Visit"]


def cadence_status(account: dict[str, Any], visit_dates: set[str], as_of: date) -> str:
    """cadence_status of the marts contract (default cadence 30 days, due soon within 7)."""
    past = [date.fromisoformat(d) for d in visit_dates if d <= as_of.isoformat()]
    cadence = account["Visit_Cadence_Days__c"] or 30
    base = max(past) if past else date.fromisoformat(account["CreatedDate"][:10])
    days_overdue = (as_of - (base + timedelta(days=cadence))).days
    if days_overdue > 0:
        return "overdue"
    if not past:
        return "never_visited"
    return "due_soon" if -days_overdue <= 7 else "on_track"


# ---- determinism --------------------------------------------------------------------------------------
def test_same_arguments_give_identical_bytes_and_another_seed_differs() -> None:
    first = orjson.dumps(generate_org(accounts=300, seed=3, anchor_date=ANCHOR))
    again = orjson.dumps(generate_org(accounts=300, seed=3, anchor_date=ANCHOR))
    other = orjson.dumps(generate_org(accounts=300, seed=4, anchor_date=ANCHOR))
    assert first == again
    assert first != other


def test_one_crm_alone_is_the_same_as_that_half_of_both() -> None:
    both = generate_org(accounts=200, seed=5, anchor_date=ANCHOR)
    assert generate_org(accounts=200, seed=5, crms=("hubspot",), anchor_date=ANCHOR) == {
        "hubspot": both["hubspot"]
    }
    assert generate_org(accounts=200, seed=5, crms=("salesforce",), anchor_date=ANCHOR) == {
        "salesforce": both["salesforce"]
    }


def test_unknown_crm_is_rejected() -> None:
    with pytest.raises(ValueError, match="pipedrive"):
        generate_org(accounts=10, crms=("pipedrive",), anchor_date=ANCHOR)


# ---- a tiny org, checked by hand ----------------------------------------------------------------------
def test_tiny_org_by_hand() -> None:
    document = generate_org(accounts=10, seed=1, visits=20, anchor_date=ANCHOR, junk=False)
    sf, hs = document["salesforce"], document["hubspot"]
    # 10 accounts -> 2 reps (the minimum); 20 visits = 1 planned + 1 call/email + 18 past visits.
    assert org_summary(document)["salesforce.User"] == 2
    assert org_summary(document)["hubspot.owners"] == 2
    assert len(sf["Account"]) == len(hs["companies"]) == 10
    assert len(salesforce_visit_records(sf)) == len(hs["meetings"]) == 20
    future = [e for e in sf["Event"] if (e["ActivityDate"] or e["StartDateTime"][:10]) > ANCHOR.isoformat()]
    assert len(future) == 1 and future[0]["Type"] == "Visit"
    assert sum(e["Type"] in ("Call", "Email") for e in sf["Event"]) == 1
    outcomes = Counter(m["properties"]["hs_meeting_outcome"] for m in hs["meetings"])
    assert outcomes["SCHEDULED"] == 1 and outcomes["CANCELED"] + outcomes["NO_SHOW"] == 1
    # Ids: one Salesforce counter (users first, in creation order); HubSpot numbers from 100000001.
    assert sorted(u["Id"] for u in sf["User"]) == ["005000000000001AAA", "005000000000002AAA"]
    assert sf["Account"][0]["Id"] == "001000000000003AAA"
    assert sorted(o["id"] for o in hs["owners"]) == ["100000001", "100000002"]
    assert {e["Id"][-3:] for e in sf["Event"]} == {"EAA"}  # 00U: 'U' is upper case in the first chunk
    # Person-written tasks (at least 3) carry no cadence key.
    person = [t for t in sf["Task"] if t["Type"] is None]
    assert len(person) == 3 and all(t["Cadence_Task_Key__c"] is None for t in person)


def test_salesforce_id_suffix_matches_the_published_algorithm() -> None:
    # A documented example: 001A0000006Vm9r is 001A0000006Vm9rIAC in its 18-character form.
    assert salesforce_id_suffix("001A0000006Vm9r") == "IAC"
    assert salesforce_id_suffix("001000000000001") == "AAA"
    assert salesforce_id_suffix("00T000000000001") == "EAA"


# ---- counts and shares ------------------------------------------------------------------------------
def test_counts_per_crm(org: dict[str, Any]) -> None:
    summary = org_summary(org)
    assert summary["salesforce.Account"] == summary["hubspot.companies"] == 2000
    assert summary["salesforce.User"] == summary["hubspot.owners"] == 20
    assert len(salesforce_visit_records(org["salesforce"])) == summary["hubspot.meetings"] == 20_000
    assert summary["salesforce.Contact"] == summary["hubspot.contacts"]
    assert summary["salesforce.Opportunity"] == summary["hubspot.deals"] > 1000


def test_status_mix_and_cadence_overrides(org: dict[str, Any]) -> None:
    types = Counter(a["Type"] for a in org["salesforce"]["Account"])
    active = sum(types[t] for t in ACTIVE_TYPES) / 2000
    prospect = types["Prospect"] / 2000
    assert 0.41 <= active <= 0.49 and 0.36 <= prospect <= 0.44 and 0.11 <= 1 - active - prospect <= 0.19
    stages = Counter(c["properties"]["lifecyclestage"] for c in org["hubspot"]["companies"])
    assert (stages["customer"] + stages["evangelist"]) / 2000 == active
    overrides = [
        a["Visit_Cadence_Days__c"] for a in org["salesforce"]["Account"] if a["Visit_Cadence_Days__c"]
    ]
    assert set(overrides) == {14, 21, 45, 60} and 0.07 <= len(overrides) / 2000 <= 0.13
    hubspot_overrides = [c["properties"]["visit_cadence_days"] for c in org["hubspot"]["companies"]]
    assert sorted(v for v in hubspot_overrides if v) == sorted(str(v) for v in overrides)


def test_active_sources_spread_over_every_cadence_status(org: dict[str, Any]) -> None:
    sf = org["salesforce"]
    visits = salesforce_visit_dates(sf)
    active = [a for a in sf["Account"] if a["Type"] in ACTIVE_TYPES and not a["IsDeleted"]]
    shares = Counter(cadence_status(a, visits.get(a["Id"], set()), ANCHOR) for a in active)
    total = len(active)
    assert 0.20 <= shares["overdue"] / total <= 0.50
    assert 0.05 <= shares["due_soon"] / total <= 0.30
    assert 0.30 <= shares["on_track"] / total <= 0.70


def test_prospects_reach_every_waterfall_stage_and_some_stall(org: dict[str, Any]) -> None:
    sf = org["salesforce"]
    visits = salesforce_visit_dates(sf)
    prospects = [a for a in sf["Account"] if a["Type"] == "Prospect"]
    past = {a["Id"]: {d for d in visits.get(a["Id"], set()) if d <= ANCHOR.isoformat()} for a in prospects}
    stages = Counter(min(len(dates), 5) for dates in past.values())
    assert all(stages[stage] >= 40 for stage in range(6))
    stalled = [
        a
        for a in prospects
        if 1 <= len(past[a["Id"]]) <= 4 and cadence_status(a, past[a["Id"]], ANCHOR) == "overdue"
    ]
    assert len(stalled) >= 50
    # First visits fall mostly within the last ~9 months (the waterfall cohorts).
    firsts = [min(dates) for dates in past.values() if dates]
    recent = sum(first >= (ANCHOR - timedelta(days=300)).isoformat() for first in firsts)
    assert recent / len(firsts) >= 0.8


def test_referrers_range_from_single_doctor_offices_to_large_practices(org: dict[str, Any]) -> None:
    per_account = Counter(c["AccountId"] for c in org["salesforce"]["Contact"])
    sizes = [per_account[a["Id"]] for a in org["salesforce"]["Account"]]
    assert sum(size == 1 for size in sizes) >= 300
    assert sum(size >= 5 for size in sizes) >= 500
    assert max(sizes) == 12 and min(sizes) == 1
    referrals = Counter(o["AccountId"] for o in org["salesforce"]["Opportunity"])
    many = [referrals[a] for a, size in per_account.items() if size >= 8]
    one = [referrals[a] for a, size in per_account.items() if size == 1]
    assert sum(many) / len(many) > 3 * sum(one) / len(one)


def test_planned_visits_lie_in_the_next_three_weeks(org: dict[str, Any]) -> None:
    events = org["salesforce"]["Event"]
    future = [e["StartDateTime"][:10] for e in events if e["StartDateTime"][:10] > ANCHOR.isoformat()]
    assert 150 <= len(future) <= 250  # ~10% of 2000 accounts
    assert max(future) <= (ANCHOR + timedelta(days=21)).isoformat()
    scheduled = [
        m for m in org["hubspot"]["meetings"] if m["properties"]["hs_meeting_outcome"] == "SCHEDULED"
    ]
    assert len(scheduled) == len(future)


# ---- the two CRMs tell the same story ---------------------------------------------------------------
def test_salesforce_and_hubspot_have_the_same_visit_history(org: dict[str, Any]) -> None:
    sf_dates, hs_dates = salesforce_visit_dates(org["salesforce"]), hubspot_visit_dates(org["hubspot"])
    # Both halves list accounts in creation order, so the n-th Account is the n-th company.
    pairs = zip(org["salesforce"]["Account"], org["hubspot"]["companies"], strict=True)
    for account, company in pairs:
        assert account["Name"] == company["properties"]["name"]
        assert sf_dates.get(account["Id"], set()) == hs_dates.get(company["id"], set())


def sobject_records(org: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The sobject collections of the Salesforce half (without `_metadata`)."""
    return {name: records for name, records in org["salesforce"].items() if isinstance(records, list)}


def test_every_generated_record_has_its_system_fields(org: dict[str, Any]) -> None:
    audit = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")
    for sobject, records in sobject_records(org).items():
        for record in records:
            assert all(record.get(name) for name in audit), (sobject, record["Id"])
            assert record["CreatedDate"] <= record["LastModifiedDate"] == record["SystemModstamp"]
    assert all(e["ActivityDateTime"] == e["StartDateTime"] for e in org["salesforce"]["Event"])
    assert all(c["LastName"] for c in org["salesforce"]["Contact"])


def test_the_generator_declares_its_picklist_values_and_the_task_key(org: dict[str, Any]) -> None:
    metadata = org["salesforce"]["_metadata"]
    account_types = metadata["Account"]["fields"]["Type"]["picklistValues"]
    assert account_types[:2] == ["Prospect", "Customer - Direct"]  # Salesforce's standard list first
    assert {a["Type"] for a in org["salesforce"]["Account"]} - {None} <= set(account_types)
    assert "Active Referral Source" in account_types
    assert {"externalId": True, "unique": True}.items() <= metadata["Task"]["fields"][
        "Cadence_Task_Key__c"
    ].items()
    without = generate_org(accounts=20, seed=1, anchor_date=ANCHOR, custom_fields=False)["salesforce"][
        "_metadata"
    ]
    assert "Cadence_Task_Key__c" not in without["Task"]["fields"]


# ---- ids, timestamps, modstamps --------------------------------------------------------------------------
def test_ids_are_unique_with_key_prefixes(org: dict[str, Any]) -> None:
    prefixes = {
        "User": "005",
        "Account": "001",
        "Contact": "003",
        "Opportunity": "006",
        "Event": "00U",
        "Task": "00T",
        "EventRelation": "0RE",
        "OpportunityContactRole": "00K",
    }
    ids = []
    for sobject, records in sobject_records(org).items():
        assert all(SF_ID.match(r["Id"]) and r["Id"].startswith(prefixes[sobject]) for r in records)
        ids += [r["Id"] for r in records]
    for name, records in org["hubspot"].items():
        if isinstance(records, list):
            assert all(r["id"].isdigit() for r in records), name
            ids += [r["id"] for r in records]
    assert len(ids) == len(set(ids))


def test_org_store_continues_ids_above_the_generated_ones(org: dict[str, Any]) -> None:
    store = OrgStore(org)
    new_task = store.new_salesforce_id("Task")
    highest_hubspot = max(int(c["id"]) for c in org["hubspot"]["meetings"])
    assert int(new_task[3:15]) > highest_hubspot and int(store.new_hubspot_id()) > highest_hubspot


def test_timestamps_use_each_apis_format(org: dict[str, Any]) -> None:
    event = org["salesforce"]["Event"][123]
    parsed = datetime.strptime(event["StartDateTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert salesforce_timestamp(parsed) == event["StartDateTime"]
    meeting = org["hubspot"]["meetings"][123]["properties"]["hs_timestamp"]
    assert hubspot_timestamp(datetime.fromisoformat(meeting)) == meeting
    # The same plan, the same moments: every Event's start is some meeting's start.
    meeting_starts = {m["properties"]["hs_timestamp"][:16] for m in org["hubspot"]["meetings"]}
    assert {e["StartDateTime"][:16] for e in org["salesforce"]["Event"]} <= meeting_starts


def test_modstamps_never_pass_the_anchor_and_bulk_updates_share_them(org: dict[str, Any]) -> None:
    anchor = f"{ANCHOR.isoformat()}T00:00:00.000"
    modstamps = [r["SystemModstamp"] for records in sobject_records(org).values() for r in records]
    assert max(modstamps) <= anchor + "+0000"
    hubspot = [
        r["updatedAt"] for records in org["hubspot"].values() if isinstance(records, list) for r in records
    ]
    assert max(hubspot) <= anchor + "Z"
    # Records created by the API and touched by bulk jobs: thousands share one modstamp.
    assert Counter(modstamps).most_common(1)[0][1] >= 1000
    for account in org["salesforce"]["Account"]:
        assert account["CreatedDate"] <= account["SystemModstamp"]


def test_every_visit_is_after_its_account_was_created(clean_org: dict[str, Any]) -> None:
    created = {a["Id"]: a["CreatedDate"][:10] for a in clean_org["salesforce"]["Account"]}
    for account_id, dates in salesforce_visit_dates(clean_org["salesforce"]).items():
        assert min(dates) >= created[account_id]


# ---- junk ---------------------------------------------------------------------------------------------
def junk_found(document: dict[str, Any]) -> dict[str, int]:
    sf, hs = document["salesforce"], document["hubspot"]
    account_ids = {a["Id"] for a in sf["Account"]}
    visits = salesforce_visit_records(sf)
    same_day = Counter(
        (v["AccountId"] or v["WhatId"], v["ActivityDate"] or v["StartDateTime"][:10])
        for v in visits
        if v["Type"] in ("Visit", "Meeting") and not v["IsDeleted"]
    )
    return {
        "null_owner": sum(a["OwnerId"] is None for a in sf["Account"]),
        "hubspot_null_owner": sum(c["properties"]["hubspot_owner_id"] is None for c in hs["companies"]),
        "orphans": sum((v["AccountId"] or v["WhatId"]) not in account_ids for v in visits),
        "duplicates": sum(n > 1 for n in same_day.values()),
        "deleted": sum(  # the plan's records (an event's invitees are deleted with it: not counted)
            r.get("IsDeleted", False)
            for sobject, records in sobject_records({"salesforce": sf}).items()
            if sobject not in ("EventRelation", "OpportunityContactRole")
            for r in records
        ),
        "archived": sum(
            r["archived"] for records in hs.values() if isinstance(records, list) for r in records
        ),
        "junk_names": sum(a["Name"] in JUNK_NAMES for a in sf["Account"]),
    }


def test_junk_is_present_in_small_doses(org: dict[str, Any]) -> None:
    found = junk_found(org)
    assert found["null_owner"] == found["hubspot_null_owner"] == 10  # 0.5% of 2000
    assert found["orphans"] == 100  # 0.5% of 20,000 visits
    assert 90 <= found["duplicates"] <= 100  # 100 copies; a few land on an already-deleted original
    assert found["deleted"] == found["archived"] >= 10 + 100
    assert found["junk_names"] == 10


def test_no_junk_when_disabled(clean_org: dict[str, Any]) -> None:
    assert set(junk_found(clean_org).values()) == {0}


def test_every_visit_of_a_clean_org_points_at_an_existing_account(clean_org: dict[str, Any]) -> None:
    account_ids = {a["Id"] for a in clean_org["salesforce"]["Account"]}
    company_ids = {c["id"] for c in clean_org["hubspot"]["companies"]}
    assert all(
        (v["AccountId"] or v["WhatId"]) in account_ids
        for v in salesforce_visit_records(clean_org["salesforce"])
    )
    assert all(m["associations"]["companies"][0] in company_ids for m in clean_org["hubspot"]["meetings"])
    # Some visits name their account only in WhatId; the rules must fall back to it.
    assert any(e["AccountId"] is None for e in clean_org["salesforce"]["Event"])


# ---- custom fields -----------------------------------------------------------------------------------
def test_custom_fields_present_or_absent() -> None:
    with_fields = generate_org(accounts=50, seed=2, anchor_date=ANCHOR)
    without = generate_org(accounts=50, seed=2, anchor_date=ANCHOR, custom_fields=False)
    assert all("Cadence_Task_Key__c" in t for t in with_fields["salesforce"]["Task"])
    assert all("Visit_Cadence_Days__c" in a for a in with_fields["salesforce"]["Account"])
    assert with_fields["hubspot"]["custom_properties"] == {
        "companies": ["visit_cadence_days", "npi"],
        "tasks": ["cadence_task_key"],
    }
    assert not any("Cadence_Task_Key__c" in t for t in without["salesforce"]["Task"])
    assert not any("Visit_Cadence_Days__c" in a for a in without["salesforce"]["Account"])
    assert "custom_properties" not in without["hubspot"]
    assert not any("visit_cadence_days" in c["properties"] for c in without["hubspot"]["companies"])


# ---- files --------------------------------------------------------------------------------------------
def test_write_org_round_trips_atomically(tmp_path: Path) -> None:
    document = generate_org(accounts=20, seed=9, anchor_date=ANCHOR)
    target = tmp_path / "nested" / "org.json"
    write_org(document, target)
    assert orjson.loads(target.read_bytes()) == document
    assert [p.name for p in target.parent.iterdir()] == ["org.json"]  # no temp file left behind


def test_zero_visits_gives_no_activity_records() -> None:
    document = generate_org(accounts=30, seed=1, visits=0, anchor_date=ANCHOR, junk=False)
    assert document["salesforce"]["Event"] == [] and document["hubspot"]["meetings"] == []
    assert all(t["Type"] is None for t in document["salesforce"]["Task"])


# ---- who was met, who referred ------------------------------------------------------------------------
def test_attendees_and_referrers_are_contacts_of_the_account_and_the_same_people_in_both_crms(
    clean_org: dict[str, Any],
) -> None:
    sf, hs = clean_org["salesforce"], clean_org["hubspot"]
    contact_account = {c["Id"]: c["AccountId"] for c in sf["Contact"]}
    events = {e["Id"]: e for e in sf["Event"]}
    with_who = [e for e in sf["Event"] if e["WhoId"]]
    assert all(contact_account[e["WhoId"]] == e["WhatId"] for e in with_who)
    relations = sf["EventRelation"]
    assert all(contact_account[r["RelationId"]] == events[r["EventId"]]["WhatId"] for r in relations)
    assert all(r["IsInvitee"] and r["RelationId"] != events[r["EventId"]]["WhoId"] for r in relations)
    # One draw shapes both CRMs; HubSpot's meetings also carry the people of Salesforce's Visit tasks.
    met_sf = len(with_who) + len(relations)
    met_hs = sum(len((m.get("associations") or {}).get("contacts", [])) for m in hs["meetings"])
    assert 0.6 <= len(with_who) / len(sf["Event"]) <= 0.8 and met_hs >= met_sf
    referred_hs = sum(len((d.get("associations") or {}).get("contacts", [])) for d in hs["deals"])
    assert len(sf["OpportunityContactRole"]) == referred_hs > 0
    assert generate_org(accounts=500, seed=11, anchor_date=ANCHOR, junk=False) == clean_org  # deterministic
