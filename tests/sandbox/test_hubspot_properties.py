"""HubSpot properties and property groups as the real hubspot-api-client reads them, the org file's
`hubspot._metadata` declarations, and the system fields an org file may leave out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.properties.exceptions import ApiException

from ingest.sandbox import OrgFileError, OrgStore, RunningSandbox
from ingest.sandbox_settings import hubspot_config
from tests.conftest import StartSandbox

CADENCE = Path(sys.executable).with_name("cadence")
STAMP = "2026-03-01T15:00:00.000Z"


def _company(company_id: str, **properties: Any) -> dict[str, Any]:
    return {"id": company_id, "properties": {"name": f"Clinic {company_id}", **properties},
            "createdAt": STAMP, "updatedAt": STAMP, "archived": False}  # fmt: skip


def _metadata_portal() -> dict[str, Any]:
    return {
        "hubspot": {
            "companies": [_company("9001", lifecyclestage="customer", visit_cadence_days="30")],
            "tasks": [],
            "_metadata": {
                "companies": {
                    "groups": [{"name": "cadence", "label": "Visit cadence"}],
                    "properties": {
                        "visit_cadence_days": {"type": "number", "label": "Visit cadence (days)",
                                               "groupName": "cadence"},
                        "lifecyclestage": {"options": [{"label": "Churned", "value": "churned"}]},
                    },
                },
                "tasks": {"properties": {"cadence_task_key": {"type": "string", "hasUniqueValue": True}}},
            },
        }
    }  # fmt: skip


def _client(running: RunningSandbox) -> HubSpot:
    config = hubspot_config(running)
    return HubSpot(access_token=config.access_token, host=config.base_url)


@pytest.fixture
def plain(start_sandbox: StartSandbox) -> RunningSandbox:
    """A portal nobody customised: no cadence_task_key anywhere."""
    return start_sandbox({"hubspot": {"companies": [_company("9001")]}})


def test_get_by_name_answers_the_full_property_shape(plain: RunningSandbox) -> None:
    stage = _client(plain).crm.properties.core_api.get_by_name(
        object_type="companies", property_name="lifecyclestage"
    )
    assert (stage.name, stage.type, stage.field_type, stage.group_name) == (
        "lifecyclestage",
        "enumeration",
        "select",
        "companyinformation",
    )
    assert [(o.value, o.display_order, o.hidden) for o in stage.options] == [
        ("subscriber", 0, False), ("lead", 1, False), ("marketingqualifiedlead", 2, False),
        ("salesqualifiedlead", 3, False), ("opportunity", 4, False), ("customer", 5, False),
        ("evangelist", 6, False), ("other", 7, False),
    ]  # fmt: skip
    assert stage.options[2].label == "Marketing Qualified Lead"
    assert (stage.has_unique_value, stage.calculated, stage.external_options, stage.hidden) == (
        False, False, False, False
    )  # fmt: skip
    assert stage.modification_metadata.read_only_definition is True
    assert stage.form_field is False


def test_engagement_enumerations_carry_hubspot_options(plain: RunningSandbox) -> None:
    core = _client(plain).crm.properties.core_api
    outcome = core.get_by_name(object_type="meetings", property_name="hs_meeting_outcome")
    assert [o.value for o in outcome.options] == [
        "SCHEDULED",
        "COMPLETED",
        "RESCHEDULED",
        "NO_SHOW",
        "CANCELED",
    ]
    status = core.get_by_name(object_type="tasks", property_name="hs_task_status")
    assert [o.value for o in status.options] == [
        "NOT_STARTED",
        "IN_PROGRESS",
        "WAITING",
        "COMPLETED",
        "DEFERRED",
    ]
    priority = core.get_by_name(object_type="tasks", property_name="hs_task_priority")
    assert [o.value for o in priority.options] == ["NONE", "LOW", "MEDIUM", "HIGH"]
    owner = core.get_by_name(object_type="companies", property_name="hubspot_owner_id")
    assert owner.external_options is True and owner.options == []
    record_id = core.get_by_name(object_type="companies", property_name="hs_object_id")
    assert record_id.has_unique_value is True


def test_unknown_property_is_hubspots_404(plain: RunningSandbox) -> None:
    core = _client(plain).crm.properties.core_api
    with pytest.raises(ApiException) as caught:
        core.get_by_name(object_type="tasks", property_name="cadence_task_key")  # not in this portal
    assert caught.value.status == 404
    body = orjson.loads(caught.value.body)
    assert body["category"] == "OBJECT_NOT_FOUND" and body["status"] == "error"
    assert body["message"] == "Property cadence_task_key does not exist"
    names = {p.name for p in core.get_all(object_type="tasks").results}
    assert "cadence_task_key" not in names and "hs_task_status" in names


def test_property_groups_list_and_get(start_sandbox: StartSandbox) -> None:
    groups_api = _client(start_sandbox(_metadata_portal())).crm.properties.groups_api
    groups = groups_api.get_all(object_type="companies").results
    assert [(g.name, g.label) for g in groups] == [
        ("companyinformation", "Company information"), ("cadence", "Visit cadence")
    ]  # fmt: skip
    assert groups_api.get_by_name(object_type="companies", group_name="cadence").label == "Visit cadence"
    with pytest.raises(ApiException) as caught:
        groups_api.get_by_name(object_type="companies", group_name="nope")
    assert caught.value.status == 404


def test_metadata_declares_custom_properties_and_extra_options(start_sandbox: StartSandbox) -> None:
    core = _client(start_sandbox(_metadata_portal())).crm.properties.core_api
    key = core.get_by_name(object_type="tasks", property_name="cadence_task_key")
    assert (key.type, key.field_type, key.has_unique_value, key.hubspot_defined) == (
        "string",
        "text",
        True,
        False,
    )
    assert key.modification_metadata.archivable is True
    cadence = core.get_by_name(object_type="companies", property_name="visit_cadence_days")
    assert (cadence.type, cadence.field_type, cadence.label, cadence.group_name) == (
        "number", "number", "Visit cadence (days)", "cadence"
    )  # fmt: skip
    stage = core.get_by_name(object_type="companies", property_name="lifecyclestage")
    assert [o.value for o in stage.options][-2:] == ["other", "churned"]
    assert stage.options[-1].display_order == 8


def test_writes_refuse_values_outside_an_enumerations_options(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(_metadata_portal())
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hubspot_config(running).access_token}"
    url = f"{running.http_url}/crm/v3/objects/companies/batch/update"
    bad = session.post(
        url, json={"inputs": [{"id": "9001", "properties": {"lifecyclestage": "vip"}}]}, timeout=30
    )
    assert bad.status_code == 207
    assert bad.json()["errors"][0]["errors"][0]["code"] == "INVALID_OPTION"
    ok = session.post(
        url, json={"inputs": [{"id": "9001", "properties": {"lifecyclestage": "churned"}}]}, timeout=30
    )
    assert ok.status_code == 200 and ok.json()["results"][0]["properties"]["lifecyclestage"] == "churned"


# ---- org-file records ---------------------------------------------------------------------------


def test_records_missing_system_fields_get_defaults_on_load(tmp_path: Path) -> None:
    document = {"hubspot": {
        "companies": [{"id": "42", "properties": {"name": "Bare"}},
                      {"id": "43", "properties": {"name": "Dated",
                                                  "createdate": "2025-01-02T03:04:05.000Z"}}],
        "contacts": [{"id": "44", "properties": {"lastmodifieddate": "2025-05-01T00:00:00.000Z"}}],
        "meetings": [{"id": "45"}],
        "owners": [{"id": "101", "email": "a@example.com"}],
    }}  # fmt: skip
    store = OrgStore(document)
    bare, dated = store.hubspot["companies"]["42"], store.hubspot["companies"]["43"]
    assert bare["createdAt"] == bare["updatedAt"] == bare["properties"]["createdate"]
    assert bare["properties"]["hs_lastmodifieddate"] == bare["createdAt"] and bare["archived"] is False
    assert bare["createdAt"].endswith("Z") and not bare["createdAt"].startswith("1970")
    assert dated["createdAt"] == dated["updatedAt"] == "2025-01-02T03:04:05.000Z"
    contact = store.hubspot["contacts"]["44"]
    assert contact["updatedAt"] == contact["createdAt"] == contact["properties"]["hs_lastmodifieddate"]
    assert contact["properties"]["createdate"] == "2025-05-01T00:00:00.000Z"
    assert "hs_createdate" in store.hubspot["meetings"]["45"]["properties"]
    assert store.hubspot["owners"]["101"]["archived"] is False
    assert sorted(store.hubspot["companies"]) == ["42", "43"]  # ids stay as given


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"properties": {}}], "hubspot.companies[0] has no 'id': every record needs its id"),
        (["9001"], "hubspot.companies[0] is not an object (a record is a JSON object)"),
        ([{"id": "9001", "properties": ["name"]}], "hubspot.companies record '9001': `properties` must be"),
    ],
)
def test_malformed_record_names_the_file_and_record(tmp_path: Path, records: list[Any], message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps({"hubspot": {"companies": records}}))
    with pytest.raises(OrgFileError) as caught:
        OrgStore.load(path)
    assert str(caught.value).startswith(f"org file {path}: {message}")


def test_malformed_metadata_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    declared = {"tasks": {"properties": {"cadence_task_key": {"type": "string", "unique": True}}}}
    path.write_bytes(orjson.dumps({"hubspot": {"tasks": [], "_metadata": declared}}))
    with pytest.raises(OrgFileError) as caught:
        OrgStore.load(path)
    assert str(caught.value).startswith(
        f"org file {path}: hubspot._metadata.tasks.properties.cadence_task_key has unknown keys ['unique']"
    )


def test_serve_refuses_a_malformed_org_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps({"hubspot": {"companies": [{"name": "no id"}]}}))
    command = [str(CADENCE), "sandbox", "serve", "--org", str(path), "--port", "0", "--http-port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: org file {path}: hubspot.companies[0] has no 'id': every record needs its id"
    ]
