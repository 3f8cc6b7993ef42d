"""The monthly pick of prospects (orchestration/prospects/selection.py): per rep, the best-ranked
candidates up to the month's target minus what was already created for the rep this month; a location
is created once, whoever ranks it; locations the ledger or the CRM hold are skipped."""

from __future__ import annotations

from orchestration.prospects.selection import Candidate, location_of, prospect_key, select_prospects

ANN, BEN = "005A", "005B"


def _candidate(owner: str, rank: int, location: str) -> Candidate:
    return Candidate("salesforce", owner, rank, location, None, "practice", location, None, None, "62701")


ANNS = [_candidate(ANN, rank, f"{rank} MAIN ST 62701") for rank in range(1, 5)]
BENS = [_candidate(BEN, rank, f"{rank} OAK AVE 62701") for rank in range(1, 5)]


def _picked(*args: object, **kwargs: object) -> list[tuple[str, str]]:
    return [(a.owner_id, a.candidate.location_key) for a in select_prospects(*args, **kwargs)]  # type: ignore[arg-type]


def test_top_n_per_rep_in_rank_order() -> None:
    assert _picked([*BENS, *ANNS], 2, {}) == [
        (ANN, "1 MAIN ST 62701"), (BEN, "1 OAK AVE 62701"),
        (ANN, "2 MAIN ST 62701"), (BEN, "2 OAK AVE 62701"),
    ]  # fmt: skip


def test_the_quota_counts_this_months_creates() -> None:
    # Ann got 2 of 3 this month already: one more; Ben 3 of 3: none; a negative rest is none too.
    assert _picked([*ANNS, *BENS], 3, {ANN: 2, BEN: 3}) == [(ANN, "1 MAIN ST 62701")]
    assert _picked(ANNS, 3, {ANN: 7}) == []
    assert _picked(ANNS, 0, {}) == []


def test_taken_locations_are_skipped_and_the_next_one_taken() -> None:
    assert _picked(ANNS, 2, {}, taken={"1 MAIN ST 62701", "3 MAIN ST 62701"}) == [
        (ANN, "2 MAIN ST 62701"), (ANN, "4 MAIN ST 62701"),
    ]  # fmt: skip


def test_a_location_in_two_territories_goes_to_the_better_rank_once() -> None:
    shared = "9 ELM ST 62701"
    candidates = [_candidate(ANN, 2, shared), _candidate(ANN, 1, "1 MAIN ST 62701"),
                  _candidate(BEN, 1, shared), _candidate(BEN, 2, "2 OAK AVE 62701")]  # fmt: skip
    assert _picked(candidates, 2, {}) == [
        (ANN, "1 MAIN ST 62701"), (BEN, shared), (BEN, "2 OAK AVE 62701"),
    ]  # fmt: skip


def test_the_key_is_one_token_and_gives_the_location_back() -> None:
    key = prospect_key("hubspot", "100 MAIN ST 62701")
    assert key == "prospect:hubspot:100_MAIN_ST_62701"
    assert location_of(key) == "100 MAIN ST 62701"


def test_the_crm_recheck_matches_location_name_in_zip_or_npi_and_not_a_near_miss() -> None:
    from orchestration.prospects.matching import CrmAccount, already_in_crm

    def site(location: str, name: str, npis: str | None = None) -> Candidate:
        zip5 = location.rsplit(" ", 1)[1]
        return Candidate("salesforce", ANN, 1, location, name, "physician_group", "", None, None, zip5, npis)

    candidates = [
        site("100 MAIN ST 62701", "LAKESIDE FAMILY PRACTICE, P.C."),  # same place, other spelling
        site("200 OAK AVE 62701", "OAK PEDIATRICS"),  # same name in the ZIP, another street line
        site("300 ELM ST 62701", "ELM GROUP", "1000000001,1000000002"),  # the CRM holds its second NPI
        site("400 PINE RD 62701", "PINE CLINIC"),  # near miss: the name is in another ZIP only
    ]
    accounts = [
        CrmAccount("A1", "Someone Else", "100 Main Street, Suite 4", "62701-0100"),
        CrmAccount("A2", "Oak Pediatrics, LLC", "1 Oak Plaza", "62701"),
        CrmAccount("A3", "Elm", "9 Nowhere", "62799", npi="1000000002"),
        CrmAccount("A4", "Pine Clinic", "400 Pine Rd", "62710"),
    ]
    assert already_in_crm(candidates, accounts) == {
        "100 MAIN ST 62701": "A1", "200 OAK AVE 62701": "A2", "300 ELM ST 62701": "A3",
    }  # fmt: skip
