"""SOQL GROUP BY and aggregate functions, answered as AggregateResult records, via simple-salesforce.

The org: 6 live accounts and 1 deleted one; the expected figures below are counted by hand from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from ingest.sandbox import OrgStore, serve_sandbox
from ingest.sandbox.core.clock import frozen_at
from tests.sandbox.test_salesforce_sandbox import DANA, ROBIN, login

AGGREGATE = {"type": "AggregateResult"}


def _account(number: int, kind: str | None, owner: str, cadence: float | None, deleted: bool = False) -> dict:
    return {
        "Id": f"001{number:012d}AAA",
        "Name": f"Account {number}",
        "Type": kind,
        "OwnerId": owner,
        "Visit_Cadence_Days__c": cadence,
        "CreatedDate": f"2026-01-0{number}T09:00:00.000+0000",
        "SystemModstamp": f"2026-01-0{number}T09:00:00.000+0000",
        "IsDeleted": deleted,
    }


ORG: dict[str, Any] = {
    "salesforce": {
        "User": [
            {"Id": DANA, "Name": "Dana", "IsActive": True},
            {"Id": ROBIN, "Name": "Robin", "IsActive": False},
        ],
        "Account": [
            _account(1, "Prospect", DANA, 30),
            _account(2, "Prospect", DANA, None),
            _account(3, "Prospect", ROBIN, 60),
            _account(4, "Customer - Direct", DANA, 15),
            _account(5, "Customer - Direct", ROBIN, 45),
            _account(6, None, DANA, None),
            _account(7, "Prospect", DANA, 90, deleted=True),
        ],
    }
}


@pytest.fixture(scope="module")
def sf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Salesforce]:
    store = OrgStore(ORG)
    # The org's today: account 7's deletion (Jan 7) is inside the Recycle Bin's 15 days.
    store.set_clock(frozen_at(datetime(2026, 1, 10, 12, tzinfo=UTC)))
    with serve_sandbox(store, ca_dir=tmp_path_factory.mktemp("agg-ca")) as running:
        yield login(running)


def rows(sf: Salesforce, soql: str) -> list[dict[str, Any]]:
    answer = sf.query(soql)
    assert answer["done"] is True and answer["totalSize"] == len(answer["records"])
    assert all(record.pop("attributes") == AGGREGATE for record in answer["records"])
    return answer["records"]


def test_group_by_one_field_counts_each_value_and_null_is_a_group(sf: Salesforce) -> None:
    assert rows(sf, "SELECT Type, COUNT(Id) FROM Account GROUP BY Type ORDER BY Type NULLS LAST") == [
        {"Type": "Customer - Direct", "expr0": 2},
        {"Type": "Prospect", "expr0": 3},
        {"Type": None, "expr0": 1},
    ]


def test_deleted_records_count_only_in_query_all(sf: Salesforce) -> None:
    soql = "SELECT COUNT(Id) n FROM Account WHERE Type = 'Prospect'"
    assert rows(sf, soql) == [{"n": 3}]
    answer = sf.query_all(soql, include_deleted=True)
    assert [{k: v for k, v in r.items() if k != "attributes"} for r in answer["records"]] == [{"n": 4}]


def test_every_aggregate_function_with_aliases_and_default_names(sf: Salesforce) -> None:
    soql = (
        "SELECT OwnerId owner, COUNT(Id), COUNT(Visit_Cadence_Days__c) withCadence, "
        "COUNT_DISTINCT(Type), MIN(Visit_Cadence_Days__c), MAX(Visit_Cadence_Days__c), "
        "SUM(Visit_Cadence_Days__c) total, AVG(Visit_Cadence_Days__c) "
        "FROM Account GROUP BY OwnerId ORDER BY OwnerId"
    )
    assert rows(sf, soql) == [
        {"owner": DANA, "expr0": 4, "withCadence": 2, "expr1": 2, "expr2": 15, "expr3": 30, "total": 45.0,
         "expr4": 22.5},
        {"owner": ROBIN, "expr0": 2, "withCadence": 2, "expr1": 2, "expr2": 45, "expr3": 60, "total": 105.0,
         "expr4": 52.5},
    ]  # fmt: skip


def test_group_by_two_fields_having_and_order_by_an_aggregate(sf: Salesforce) -> None:
    soql = (
        "SELECT Type, OwnerId, COUNT(Id) FROM Account GROUP BY Type, OwnerId "
        "HAVING COUNT(Id) > 0 AND Type != null ORDER BY COUNT(Id) DESC, Type, OwnerId"
    )
    assert rows(sf, soql) == [
        {"Type": "Prospect", "OwnerId": DANA, "expr0": 2},
        {"Type": "Customer - Direct", "OwnerId": DANA, "expr0": 1},
        {"Type": "Customer - Direct", "OwnerId": ROBIN, "expr0": 1},
        {"Type": "Prospect", "OwnerId": ROBIN, "expr0": 1},
    ]
    assert rows(sf, "SELECT Type FROM Account GROUP BY Type HAVING COUNT(Id) >= 2 ORDER BY Type LIMIT 1") == [
        {"Type": "Customer - Direct"}
    ]


def test_aggregates_without_group_by_answer_one_row_even_over_no_records(sf: Salesforce) -> None:
    assert rows(sf, "SELECT COUNT(Id), MAX(Visit_Cadence_Days__c) FROM Account") == [
        {"expr0": 6, "expr1": 60}
    ]
    assert rows(sf, "SELECT COUNT(Id), SUM(Visit_Cadence_Days__c) FROM Account WHERE Type = 'Partner'") == [
        {"expr0": 0, "expr1": None}
    ]


@pytest.mark.parametrize(
    ("soql", "message"),
    [
        ("SELECT Name, COUNT(Id) FROM Account GROUP BY Type", "Field must be grouped or aggregated: Name"),
        ("SELECT Id FROM Account GROUP BY Type", "Field must be grouped or aggregated: Id"),
        ("SELECT COUNT() FROM Account GROUP BY Type", "use COUNT(fieldName) instead"),
        ("SELECT COUNT(), Type FROM Account", "COUNT() must be the only element"),
        ("SELECT SUM(Name) FROM Account", "does not support aggregate operator SUM"),
        ("SELECT Description, COUNT(Id) FROM Task GROUP BY Description", "can not be grouped"),
        ("SELECT CreatedDate, COUNT(Id) FROM Account GROUP BY CreatedDate", "can not be grouped"),
        ("SELECT Name n FROM Account", "Only aggregate expressions use field aliasing"),
        ("SELECT Type, COUNT(Id) c, COUNT(Id) c FROM Account GROUP BY Type", "duplicate alias"),
        ("SELECT Type, COUNT(Id) FROM Account GROUP BY Type ORDER BY Name", "must be grouped or aggregated"),
        ("SELECT COUNT(Id) FROM Account HAVING COUNT(Id) > 1", "HAVING requires a GROUP BY"),
        ("SELECT Type, COUNT(Id) FROM Account GROUP BY ROLLUP(Type)", "ROLLUP is not supported"),
        ("SELECT CALENDAR_YEAR(CreatedDate) FROM Account", "functions are not supported"),
    ],
)
def test_what_salesforce_refuses_is_malformed_query(sf: Salesforce, soql: str, message: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query(soql)
    error = raised.value.content[0]
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert message in error["message"]


def test_an_unknown_aggregated_field_is_invalid_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Type, COUNT(Nmae) FROM Account GROUP BY Type")
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_a_number_field_can_not_be_grouped_but_summed(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Visit_Cadence_Days__c, COUNT(Id) FROM Account GROUP BY Visit_Cadence_Days__c")
    assert (
        raised.value.content[0]["message"]
        == "field 'Visit_Cadence_Days__c' can not be grouped in a query call"
    )
