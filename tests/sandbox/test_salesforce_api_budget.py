"""The Salesforce daily API budget: Sforce-Limit-Info on every response, limits/, REQUEST_LIMIT_EXCEEDED."""

from __future__ import annotations

import requests

from ingest.http import make_session
from ingest.sandbox import RunningSandbox
from tests.conftest import StartSandbox
from tests.sandbox.test_salesforce_sandbox import client_credentials, org, token


def _api(running: RunningSandbox) -> tuple[requests.Session, str]:
    session = make_session(str(running.ca_path))
    session.headers["Authorization"] = (
        f"Bearer {token(running, **client_credentials(running))['access_token']}"
    )
    return session, f"{running.https_url}/services/data/v59.0"


def _budget(running: RunningSandbox, **body: int) -> dict[str, int]:
    return running.control("POST", "/__sandbox/salesforce/api_budget", body)


def test_usage_counts_up_per_call_and_the_allowance_refuses_the_next_one(start_sandbox: StartSandbox) -> None:
    document = org()
    document["salesforce"]["_api_limits"] = {"daily_api_requests": 3}
    running = start_sandbox(document)
    session, data = _api(running)  # the token call is not an API call
    answers = [session.get(f"{data}/query", params={"q": "SELECT Id FROM User"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 403]
    assert [a.headers["Sforce-Limit-Info"] for a in answers] == [f"api-usage={n}/3" for n in (1, 2, 3, 3)]
    assert answers[3].json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert session.get(f"{data}/limits/").status_code == 403  # limits/ is an API call too

    assert _budget(running, daily_api_requests=10) == {"daily_api_requests": 10, "used": 3}
    limits = session.get(f"{data}/limits/")
    assert limits.status_code == 200
    assert limits.json()["DailyApiRequests"] == {"Max": 10, "Remaining": 6}  # this call is the 4th
    assert limits.headers["Sforce-Limit-Info"] == "api-usage=4/10"


def test_the_default_allowance_and_a_reset_from_the_control_surface(start_sandbox: StartSandbox) -> None:
    running = start_sandbox(org())
    session, data = _api(running)
    assert (
        session.get(f"{data}/sobjects/Account/describe").headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    )
    assert _budget(running, used=0) == {"daily_api_requests": 15000, "used": 0}
    assert session.get(f"{data}/limits").json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14999}
    running.control("POST", "/__sandbox/salesforce/api_budget", {"used": -1}, expect=400)
    counters = running.control("GET", "/__sandbox/counters")
    assert counters["salesforce.limits"] == 1 and not any(name.startswith("control") for name in counters)
