"""HubSpot's account details (`GET /account-info/v3/details`): the portal's id and UI domain, which is
what a link to a record in HubSpot's app is made of.

Fields as HubSpot documents them (https://developers.hubspot.com/docs/api-reference/latest/account/
account-information/get-account-details: accountType, additionalCurrencies, companyCurrency,
dataHostingLocation, portalId, timeZone, uiDomain, utcOffset, utcOffsetMilliseconds, all required).
The sandbox is one standard US-hosted portal on UTC; its UI domain is the one a US portal answers
(app.hubspot.com; an EU-hosted one answers app-eu1.hubspot.com).
"""

from __future__ import annotations

from typing import Any

from ingest.sandbox.core.http import Request

SANDBOX_PORTAL_ID = 24_681_357  # any int32: the sandbox serves one portal


def account_details(request: Request) -> dict[str, Any]:
    return {
        "portalId": SANDBOX_PORTAL_ID,
        "accountType": "STANDARD",
        "timeZone": "UTC",
        "companyCurrency": "USD",
        "additionalCurrencies": [],
        "utcOffset": "+00:00",
        "utcOffsetMilliseconds": 0,
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    }
