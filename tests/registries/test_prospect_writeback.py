"""Prospect writeback (issue 15 item 5) end to end, both CRMs, against the sandbox over real HTTP.

The hand-made org (tests/orchestration/org.py) gets addresses: Dana's accounts in ZIP 62701, Sam's in
62710. The registry files put three candidate locations in each territory (referrers in brackets):

  Dana 62701: D1 100 MAIN ST (3) Lakeside Family Practice, D2 200 OAK AVE (2) Oak Pediatrics,
              D3 300 ELM ST (1) individuals only ("Practice at 300 ELM ST")
  Sam 62710:  S1 10 CEDAR RD (3) Cedar Clinic, S2 20 PINE RD (2) Pine Heart Group, S3 30 BIRCH LN (1)
              Birch Care
  and a physician group without referrers last in each: D4 400 PARK PL Park Group, S4 40 LAKE DR Lake Group

target_new_prospects_per_month 2. Night 1 runs the prospects step as a dry run (nothing written). Then a
person creates, in the CRM only (not synced), an account at D1 in Salesforce and at S1 in HubSpot.
`cadence prospects` then creates, per CRM, exactly 2 per rep, the CRM's own D1 / S1 re-checked away:
Salesforce Dana D2 D3, Sam S1 S2; HubSpot Dana D1 D2, Sam S2 S3. A rerun creates nothing. Night 2, next
month (the nightly asset on), syncs them: a location with an account in either CRM is `is_in_crm`
(practice_locations), so the candidates left are D4 and S4, created in both CRMs (a new month's quota).
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest.hubspot.helpers import HubSpotClient
from ingest.registries.sample import Provider, Referrer, write_nppes, write_order_referring
from ingest.salesforce.helpers import RetryPolicy, connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import hubspot_config, salesforce_config
from orchestration.cli import main
from tests.helpers import after_search_lag, configure_as_production, serve_org
from tests.orchestration.harness import FAST, Run, run_audit
from tests.orchestration.org import ACCOUNTS, AS_OF, HS_OWNERS, SF_USERS, hand_made_org, hs_company_id

NEXT_MONTH = date(2026, 12, 2)
ZIPS = {"dana": "62701", "sam": "62710"}
CITY = {"city": "SPRINGFIELD", "state": "IL"}
HHA = frozenset({"PARTB", "HHA"})


@dataclass(frozen=True)
class Site:
    code: str
    owner: str
    street: str
    name: str | None
    referrers: tuple[tuple[str, str], ...]  # (first, last)
    org_npi: str | None = None


SITES = (
    Site("D1", "dana", "100 MAIN ST", "LAKESIDE FAMILY PRACTICE",
         (("ANA", "DIAZ"), ("BO", "LI"), ("CY", "YU")), "1000000100"),
    Site("D2", "dana", "200 OAK AVE", "OAK PEDIATRICS", (("DEV", "RAO"), ("EVA", "KOS")), "1000000200"),
    Site("D3", "dana", "300 ELM ST", None, (("FAY", "NG"),)),
    Site("S1", "sam", "10 CEDAR RD", "CEDAR CLINIC", (("GUS", "ORR"), ("HAL", "PAX"), ("IDA", "QUE")),
         "1000000400"),
    Site("S2", "sam", "20 PINE RD", "PINE HEART GROUP", (("JO", "ROE"), ("KAI", "SUN")), "1000000500"),
    Site("S3", "sam", "30 BIRCH LN", "BIRCH CARE", (("LEE", "TAN"),), "1000000600"),
    Site("D4", "dana", "400 PARK PL", "PARK GROUP", (), "1000000700"),
    Site("S4", "sam", "40 LAKE DR", "LAKE GROUP", (), "1000000800"),
)  # fmt: skip
BY_CODE = {site.code: site for site in SITES}


def _npi(site_index: int, person: int) -> str:
    return f"20000{site_index}{person:04d}"


def _registry(folder: Path) -> tuple[Path, Path]:
    providers, referrers = [], []
    for i, site in enumerate(SITES):
        address = {"address_line_1": site.street, "postal_code": ZIPS[site.owner], **CITY}
        if site.name:
            providers.append(Provider(site.org_npi or "", 2, organization_name=site.name,
                                      taxonomies=("193400000X",), **address))  # fmt: skip
        for p, (first, last) in enumerate(site.referrers):
            npi = _npi(i, p)
            providers.append(Provider(npi, 1, first_name=first, last_name=last, credential="M.D.",
                                      taxonomies=("207Q00000X",), **address))  # fmt: skip
            referrers.append(Referrer(npi, last, first, HHA))
    return (write_nppes(folder / "npidata_pfile_20240101-20241231.csv", providers),
            write_order_referring(folder / "OrderReferring.csv", referrers))  # fmt: skip


def _org() -> dict[str, Any]:
    """The hand-made org with addresses (each account its own street in its owner's ZIP), the NPI field
    on Salesforce Account and Contact, and the `npi` property on HubSpot companies and contacts."""
    org = copy.deepcopy(hand_made_org())
    for account, record in zip(ACCOUNTS, org["salesforce"]["Account"], strict=True):
        record |= {"BillingStreet": f"{account.n} Hospital Dr", "BillingCity": "Springfield",
                   "BillingState": "IL", "BillingPostalCode": ZIPS[account.owner],
                   "NPI__c": None}  # fmt: skip
    org["salesforce"]["custom_fields"] = {"Contact": {"NPI__c": "string"}}
    for account, record in zip(ACCOUNTS, org["hubspot"]["companies"], strict=True):
        assert record["id"] == hs_company_id(account.n)
        record["properties"] |= {"address": f"{account.n} Hospital Dr", "city": "Springfield", "state": "IL",
                                 "zip": ZIPS[account.owner]}  # fmt: skip
    org["hubspot"]["custom_properties"] = {"companies": ["visit_cadence_days", "npi"], "contacts": ["npi"]}
    return org


@dataclass
class World:
    running: RunningSandbox
    night1: Run
    night2: Run
    ids: dict[str, dict[str, set[str]]]  # stage -> crm -> account ids in the CRM after it
    first: list[str]  # `cadence prospects` output
    rerun: list[str]
    person_accounts: dict[str, str]


def _account_ids(running: RunningSandbox) -> dict[str, set[str]]:
    with running.store.lock:
        return {"salesforce": set(running.store.salesforce.get("Account", {})),
                "hubspot": set(running.store.hubspot.get("companies", {}))}  # fmt: skip


def _counts(running: RunningSandbox) -> dict[str, int]:
    return {crm: len(ids) for crm, ids in _account_ids(running).items()}


def _person_creates(running: RunningSandbox) -> dict[str, str]:
    """A rep makes D1's account in Salesforce and S1's company in HubSpot by hand (other spellings)."""
    sf = connect(salesforce_config(running), RetryPolicy(base_seconds=FAST))
    sf_id = sf.call(lambda s: s.Account.create({
        "Name": "Lakeside Family Practice, LLC", "Type": "Prospect", "OwnerId": SF_USERS["dana"],
        "BillingStreet": "100 Main Street, Suite 4", "BillingPostalCode": "62701-0100",
    }))["id"]  # fmt: skip
    hs = HubSpotClient(hubspot_config(running), FAST)
    try:
        body = {"properties": {"name": "Cedar Clinic", "address": "10 Cedar Road", "zip": "62710",
                               "hubspot_owner_id": HS_OWNERS["sam"], "lifecyclestage": "lead"}}  # fmt: skip
        hs_id = hs.request("POST", "/crm/v3/objects/companies", json=body)["id"]
    finally:
        hs.close()
    after_search_lag(running)  # the person made it a while before the command runs
    return {"salesforce": sf_id, "hubspot": hs_id}


def _run_cli(argv: list[str]) -> list[str]:
    """`cadence prospects ARGV`'s output lines (capsys is per test; the fixture is per module)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["prospects", *argv]) == 0
    return out.getvalue().splitlines()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("prospects")
    nppes, order_referring = _registry(folder)
    rules = folder / "cadence.yml"
    rules.write_text("target_new_prospects_per_month: 2\n", encoding="utf-8")
    warehouse = folder / "warehouse.duckdb"
    options = {"registry_nppes": str(nppes), "registry_order_referring": str(order_referring),
               "rules_file": str(rules)}  # fmt: skip
    with serve_org(_org(), folder) as running, pytest.MonkeyPatch.context() as monkeypatch:
        ids = {"start": _account_ids(running)}
        night1 = run_audit(running, warehouse, AS_OF, prospect_writeback="dry_run", **options)
        ids["dry_run"] = _account_ids(running)
        person = _person_creates(running)
        configure_as_production(running, folder, monkeypatch)
        argv = ["--as-of", AS_OF.isoformat(), "--warehouse", str(warehouse), "--rules", str(rules)]
        ids["person"] = _account_ids(running)
        first = _run_cli(argv)
        ids["first"] = _account_ids(running)
        rerun = _run_cli(argv)
        ids["rerun"] = _account_ids(running)
        after_search_lag(running)  # a month passes: what the command created is searchable, as in HubSpot
        night2 = run_audit(running, warehouse, NEXT_MONTH, prospect_writeback="on", **options)
        ids["night2"] = _account_ids(running)
        yield World(running, night1, night2, ids, first, rerun, person)


def _new(world: World, crm: str, before: str, after: str) -> list[dict[str, Any]]:
    """The accounts of `crm` made between two stages of the fixture."""
    store = world.running.store
    with store.lock:
        table = store.salesforce["Account"] if crm == "salesforce" else store.hubspot["companies"]
        return [dict(table[i]) for i in sorted(world.ids[after][crm] - world.ids[before][crm])]


def _sf_contacts(world: World, account_id: str) -> set[tuple[str, str, str]]:
    with world.running.store.lock:
        contacts = world.running.store.salesforce.get("Contact", {}).values()
        return {(c["FirstName"], c["LastName"], c["NPI__c"])
                for c in contacts if c["AccountId"] == account_id}  # fmt: skip


def _hs_contacts(world: World, company_id: str) -> set[tuple[str, str, str]]:
    with world.running.store.lock:
        contacts = world.running.store.hubspot.get("contacts", {}).values()
        return {(c["properties"]["firstname"], c["properties"]["lastname"], c["properties"]["npi"])
                for c in contacts
                if company_id in (c.get("associations") or {}).get("companies", [])}  # fmt: skip


def _referrers(code: str) -> set[tuple[str, str, str]]:
    index = [site.code for site in SITES].index(code)
    return {(first, last, _npi(index, p)) for p, (first, last) in enumerate(BY_CODE[code].referrers)}


def _sf_expected(code: str) -> dict[str, Any]:
    site = BY_CODE[code]
    return {"Name": site.name or f"Practice at {site.street}", "Type": "Prospect",
            "OwnerId": SF_USERS[site.owner],
            "BillingStreet": site.street, "BillingCity": "SPRINGFIELD", "BillingState": "IL",
            "BillingPostalCode": ZIPS[site.owner], "NPI__c": site.org_npi}  # fmt: skip


def _hs_expected(code: str) -> dict[str, Any]:
    site = BY_CODE[code]
    return {"name": site.name or f"Practice at {site.street}", "lifecyclestage": "lead",
            "hubspot_owner_id": HS_OWNERS[site.owner], "address": site.street, "city": "SPRINGFIELD",
            "state": "IL", "zip": ZIPS[site.owner], "npi": site.org_npi}  # fmt: skip


def _sf_made(world: World, accounts: list[dict[str, Any]]) -> dict[str, Any]:
    """Account fields (and contacts) by the site they were made for."""
    by_street = {site.street: site.code for site in SITES}
    return {by_street[a["BillingStreet"]]: ({k: a.get(k) for k in _sf_expected("D1")},
                                            _sf_contacts(world, a["Id"])) for a in accounts}  # fmt: skip


def _hs_made(world: World, companies: list[dict[str, Any]]) -> dict[str, Any]:
    by_street = {site.street: site.code for site in SITES}
    fields = _hs_expected("D1")
    return {
        by_street[c["properties"]["address"]]: (
            {k: c["properties"].get(k) for k in fields}, _hs_contacts(world, c["id"])
        )
        for c in companies
    }


def test_the_dry_run_night_plans_two_per_rep_and_writes_no_account(world: World) -> None:
    assert world.night1.summary.succeeded, world.night1.summary.error
    assert world.ids["dry_run"] == world.ids["start"]
    for crm in ("salesforce", "hubspot"):
        prospects = world.night1.summary.prospects[crm]
        assert (prospects["dry_run"], prospects["planned"], prospects["created"]) == (True, 4, 0)
    assert "salesforce prospects (dry run): 4 accounts would be created" in world.night1.summary.render()


def test_the_first_run_creates_exactly_two_per_rep_never_at_the_persons_location(world: World) -> None:
    sf = _sf_made(world, _new(world, "salesforce", "person", "first"))
    hs = _hs_made(world, _new(world, "hubspot", "person", "first"))
    assert sf == {code: (_sf_expected(code), _referrers(code)) for code in ("D2", "D3", "S1", "S2")}
    assert hs == {code: (_hs_expected(code), _referrers(code)) for code in ("D1", "D2", "S2", "S3")}
    assert world.first == [
        # Best rank first, reps taking turns: Dana's D1 is the person's, so her first is D2 (rank 2).
        "salesforce: created 4 prospect accounts (8 contacts); 1 candidate locations already in the CRM",
        f"  {SF_USERS['sam']}: CEDAR CLINIC, 10 CEDAR RD 62710 (3 referrers)",
        f"  {SF_USERS['dana']}: OAK PEDIATRICS, 200 OAK AVE 62701 (2 referrers)",
        f"  {SF_USERS['sam']}: PINE HEART GROUP, 20 PINE RD 62710 (2 referrers)",
        f"  {SF_USERS['dana']}: Practice at 300 ELM ST, 300 ELM ST 62701 (1 referrers)",
        "hubspot: created 4 prospect accounts (8 contacts); 1 candidate locations already in the CRM",
        "  101: LAKESIDE FAMILY PRACTICE, 100 MAIN ST 62701 (3 referrers)",
        "  101: OAK PEDIATRICS, 200 OAK AVE 62701 (2 referrers)",
        "  102: PINE HEART GROUP, 20 PINE RD 62710 (2 referrers)",
        "  102: BIRCH CARE, 30 BIRCH LN 62710 (1 referrers)",
    ]


def test_a_rerun_creates_nothing(world: World) -> None:
    assert world.ids["rerun"] == world.ids["first"]
    assert world.rerun == [
        f"{crm}: created 0 prospect accounts (0 contacts); 0 candidate locations already in the CRM"
        for crm in ("salesforce", "hubspot")
    ]


def test_next_months_night_creates_each_reps_next_candidate_and_no_duplicate(world: World) -> None:
    assert world.night2.summary.succeeded, world.night2.summary.error
    sf = _sf_made(world, _new(world, "salesforce", "rerun", "night2"))
    hs = _hs_made(world, _new(world, "hubspot", "rerun", "night2"))
    assert sf == {code: (_sf_expected(code), set()) for code in ("D4", "S4")}
    assert hs == {code: (_hs_expected(code), set()) for code in ("D4", "S4")}
    assert {crm: p["created"] for crm, p in world.night2.summary.prospects.items()} == {
        "salesforce": 2, "hubspot": 2,
    }  # fmt: skip
    assert "hubspot prospects: 2 accounts created with 0 contacts, 0 failed" in world.night2.summary.render()


def test_off_by_default_and_a_wrong_mode_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.errors import SettingsError
    from orchestration.defs.prospects import prospects_definitions
    from orchestration.settings import RunSettings, load_settings

    assert RunSettings().prospect_writeback == "off" and not prospects_definitions().assets
    assert len(list(prospects_definitions("dry_run").assets or [])) == 2
    monkeypatch.setenv("CADENCE__PROSPECT_WRITEBACK", "yes")
    with pytest.raises(SettingsError) as error:
        load_settings(tmp_path)
    assert str(error.value) == "cadence.prospect_writeback is 'yes': set off, dry_run or on"
