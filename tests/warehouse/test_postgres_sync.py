"""The sync into a PostgreSQL warehouse (issue 16): the sandbox over real HTTPS, simple-salesforce, dlt's
postgres destination, a real server (orchestration/bench/postgres_server.py). The Salesforce ingest tests'
incremental scenario, once, on Postgres: the same merges, the delete flagged, the cursor read back from the
database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import pytest

from ingest.salesforce import sync_salesforce
from ingest.salesforce.helpers import connect
from ingest.sandbox import RunningSandbox
from ingest.sandbox_settings import salesforce_config
from ingest.warehouse import WarehouseLocation
from tests.ingest.test_purged_deletes import _contact, _empty_recycle_bin, _org, _sf_delete
from tests.ingest.test_salesforce_ingest import FAST, USER, account


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def accounts(url: str) -> dict[str, tuple[Any, ...]]:
    columns = "id, name, type, visit_cadence_days_c, is_deleted"
    return {r[0]: r for r in rows(url, f"select {columns} from raw_salesforce.account order by id")}


def sync(running: RunningSandbox, url: str) -> Any:
    return sync_salesforce(
        salesforce_config(running), WarehouseLocation.parse(url), retry_base_seconds=FAST, objects=["Account"]
    )


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CADENCE_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def test_incremental_sync_into_postgres_merges_flags_deletes_and_keeps_its_cursor_in_the_database(
    start_sandbox, postgres_url: str, state_dir: Path
) -> None:
    org = {"salesforce": {"Account": [account(n, Visit_Cadence_Days__c=None) for n in range(1, 6)]}}
    running = start_sandbox(org)
    assert sync(running, postgres_url).rows_by_table == {"account": 5}
    before = accounts(postgres_url)
    sf = connect(salesforce_config(running)).sf
    sf.Account.update(account(2)["Id"], {"Name": "Practice 2 (renamed)", "Visit_Cadence_Days__c": 45})
    sf.Account.delete(account(3)["Id"])
    created = sf.Account.create({"Name": "New Practice", "Type": "Prospect", "OwnerId": USER})["id"]

    assert sync(running, postgres_url).rows_by_table == {"account": 3}

    after = accounts(postgres_url)
    assert set(after) == set(before) | {created}
    assert after[account(2)["Id"]][1:] == ("Practice 2 (renamed)", "Prospect", 45.0, False)
    assert after[account(3)["Id"]][-1] is True  # deleted in the CRM: kept, flagged
    assert after[created][1:] == ("New Practice", "Prospect", None, False)
    unchanged = set(before) - {account(2)["Id"], account(3)["Id"]}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    # The pipeline's working folder is the database's own, under $CADENCE_STATE_DIR, not beside a file.
    server = urlsplit(postgres_url)
    folder = f".dlt-pg-{server.hostname}-{server.port}-{server.path.strip('/')}"
    assert [path.name for path in state_dir.iterdir()] == [folder]


def test_a_new_machine_resumes_from_the_cursor_kept_in_the_database(
    start_sandbox, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Postgres has no file to keep dlt's folder beside: a run from an empty local folder (another host,
    a fresh container) restores the state from `_dlt_pipeline_state` and reads only the changes."""
    running = start_sandbox({"salesforce": {"Account": [account(n) for n in range(1, 4)]}})
    monkeypatch.setenv("CADENCE_STATE_DIR", str(tmp_path / "first"))
    sync(running, postgres_url)
    monkeypatch.setenv("CADENCE_STATE_DIR", str(tmp_path / "second"))
    running.counters.clear()

    result = sync(running, postgres_url)

    assert result.rows_by_table == {"account": 0}
    assert running.counters["salesforce.query_more"] == 0
    assert len(accounts(postgres_url)) == 3


def test_a_purged_contact_is_marked_deleted_by_the_key_scan_on_postgres(
    start_sandbox, postgres_url: str, state_dir: Path
) -> None:
    """tests/ingest/test_purged_deletes.py's key-scan case: the marked rows are read back from Postgres."""
    running = start_sandbox(_org({"Contact": [_contact(n) for n in range(1, 4)]}))
    location = WarehouseLocation.parse(postgres_url)
    config = salesforce_config(running)
    sync_salesforce(config, location, objects=["Contact"], retry_base_seconds=FAST)
    _sf_delete(running, "Contact", _contact(2)["Id"])
    _empty_recycle_bin(running)  # gone from queryAll before the pipeline ran
    time.sleep(1.1)  # the org's clock (whole seconds) moves on: getDeleted has a window to answer

    result = sync_salesforce(config, location, objects=["Contact"], retry_base_seconds=FAST)

    assert result.rows_by_table == {"contact": 1}
    columns = "id, is_deleted, name, _cadence_deleted_by"
    found = rows(postgres_url, f"select {columns} from raw_salesforce.contact order by id")
    assert found == [
        (_contact(1)["Id"], False, "Dr 1", None),
        (_contact(2)["Id"], True, "Dr 2", "key_scan"),  # its other columns kept
        (_contact(3)["Id"], False, "Dr 3", None),
    ]
