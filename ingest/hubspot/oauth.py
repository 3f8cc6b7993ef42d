"""HubSpot OAuth for public apps: trade the refresh token for a short-lived access token, again on 401.

HubSpot's OAuth access tokens expire after 30 minutes; a 401 on a call made with one means "refresh,
then send it again", not "your credentials are wrong" (which is what it means for a private-app
token, which never expires). The refresh grant is `POST /oauth/v3/token`, form-encoded
(https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide; v1 is deprecated on 2027-02-16).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson
import requests

from ingest.config import HubSpotConfig
from ingest.errors import CrmAuthError

TOKEN_PATH = "/oauth/v3/token"
_REFRESH_FIX = (
    "check SOURCES__HUBSPOT__CLIENT_ID / CLIENT_SECRET / REFRESH_TOKEN (a refresh token dies when the app "
    "is uninstalled: reinstall it for a new one)"
)

Post = Callable[..., requests.Response]  # the HTTP layer's session.request("POST", ...)


class OAuthRefresher:
    """The current access token of one client, refreshed at most once per token that failed."""

    def __init__(self, config: HubSpotConfig) -> None:
        self._config = config
        self._token: str | None = config.access_token or None
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def token(self) -> str | None:
        return self._token

    def refresh(self, post: Post, url: str, failed_token: str | None) -> str:
        """A fresh access token; when another thread already replaced `failed_token`, that one."""
        with self._lock:
            if self._token is not None and self._token != failed_token:
                return self._token
            self._token = self._request_token(post, url)
            self.refreshes += 1
            return self._token

    def _request_token(self, post: Post, url: str) -> str:
        form = {
            "grant_type": "refresh_token",
            "client_id": self._config.client_id,
            "client_secret": self._config.client_secret,
            "refresh_token": self._config.refresh_token,
        }
        # No bearer header on the token call: the form carries the app's credentials.
        headers = {"Authorization": None, "Content-Type": "application/x-www-form-urlencoded"}
        response = post("POST", url, data=form, headers=headers, timeout=60.0)
        body = _json(response)
        token = body.get("access_token") if response.status_code == 200 else None
        if not token:
            reason = body.get("status") or f"HTTP {response.status_code}"
            raise CrmAuthError(
                f"HubSpot refused the OAuth refresh ({reason}: {body.get('message', '')}): {_REFRESH_FIX}"
            )
        return str(token)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
