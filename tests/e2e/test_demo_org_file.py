"""`cadence demo --org FILE` on an org file written the way docs/sandbox.md shows it: records without
system fields (a User without SystemModstamp, a Contact without CreatedDate) run to exit 0."""

from __future__ import annotations

from pathlib import Path

import orjson

from orchestration.cli import main

DANA, MERCY = "005000000000001AAA", "001000000000001AAA"
STAMP = "2026-01-05T09:00:00.000+0000"

# docs/sandbox.md's example, with its "…" filled in and nothing else added.
SANDBOX_MD_EXAMPLE = {
    "salesforce": {
        "User": [{"Id": DANA, "Name": "Dana Reyes", "Email": "dana@example.com", "IsActive": True}],
        "Account": [{"Id": MERCY, "Name": "Mercy General", "Type": "Prospect", "OwnerId": DANA,
                     "ParentId": None, "Visit_Cadence_Days__c": None, "CreatedDate": STAMP,
                     "SystemModstamp": STAMP, "IsDeleted": False}],
        "Contact": [{"Id": "003000000000001AAA", "AccountId": MERCY, "Name": "Dr. Ann Lee",
                     "Title": "Physician", "SystemModstamp": STAMP, "IsDeleted": False}],
        "Event": [{"Id": "00U000000000001AAA", "AccountId": MERCY, "WhatId": MERCY, "OwnerId": DANA,
                   "Type": "Visit", "Subject": "Lunch-and-learn", "ActivityDate": "2026-02-03",
                   "StartDateTime": "2026-02-03T12:00:00.000+0000", "SystemModstamp": STAMP,
                   "IsDeleted": False}],
        "Task": [{"Id": "00T000000000001AAA", "WhatId": MERCY, "OwnerId": DANA, "Subject": "Follow up",
                  "Type": None, "Status": "Not Started", "Priority": "Normal", "ActivityDate": "2026-02-10",
                  "IsClosed": False, "SystemModstamp": STAMP, "IsDeleted": False}],
        "Opportunity": [{"Id": "006000000000001AAA", "AccountId": MERCY, "Name": "Referral – J. Doe",
                         "CreatedDate": STAMP, "SystemModstamp": STAMP, "IsDeleted": False}],
    }
}  # fmt: skip


def test_demo_runs_an_org_file_written_like_the_docs_example(tmp_path: Path) -> None:
    org_file = tmp_path / "org.json"
    org_file.write_bytes(orjson.dumps(SANDBOX_MD_EXAMPLE))
    argv = [
        "demo",
        "--org",
        str(org_file),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--as-of",
        "2026-03-01",
    ]
    assert main(argv) == 0  # before the fill: dlt's IncrementalCursorPathHasValueNone on User


def test_demo_refuses_a_malformed_org_file_in_one_line(tmp_path: Path, capsys: object) -> None:
    org_file = tmp_path / "bad.json"
    org_file.write_bytes(b'{"salesforce": {"Account": [{"Name": "no id"}]}}')
    assert main(["demo", "--org", str(org_file), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert (
        err == f"error: org file {org_file}: salesforce.Account[0] has no 'Id': every record needs its id\n"
    )
