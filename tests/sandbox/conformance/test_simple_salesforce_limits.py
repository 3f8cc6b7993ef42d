"""simple-salesforce's `limits()` and `api_usage`, used as its README shows, against the sandbox."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from tests.conftest import StartSandbox
from tests.sandbox.test_salesforce_sandbox import login, org


def test_limits_lists_daily_api_requests_and_api_usage_parses_the_header(start_sandbox: StartSandbox) -> None:
    sf: Salesforce = login(start_sandbox(org()))
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 15000

    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 14998}
    assert {"DataStorageMB", "FileStorageMB", "DailyBulkV2QueryJobs"} <= limits.keys()
    assert all(set(value) == {"Max", "Remaining"} for value in limits.values())
    assert sf.api_usage["api-usage"].used == 2


def test_a_spent_allowance_raises_request_limit_exceeded(start_sandbox: StartSandbox) -> None:
    document = org()
    document["salesforce"]["_api_limits"] = {"daily_api_requests": 1}
    sf: Salesforce = login(start_sandbox(document))
    assert sf.limits()["DailyApiRequests"] == {"Max": 1, "Remaining": 0}
    with pytest.raises(SalesforceError) as raised:
        sf.limits()
    assert raised.value.status == 403
    assert raised.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
