"""HubSpot OAuth: the token endpoint's refresh grant and short-lived access tokens.

Public apps authenticate with OAuth access tokens that "expire after 30 minutes"; the app trades its
refresh token for a new one at `POST /oauth/v3/token` (v1 `/oauth/v1/token`, which hubspot-api-client's
`oauth.tokens_api.create` calls, is deprecated on 2027-02-16 and answers the same)
(https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide,
https://developers.hubspot.com/docs/methods/oauth2/refresh-access-token). The request is form-encoded
(`grant_type=refresh_token`, `client_id`, `client_secret`, `refresh_token`); the answer is
`{"token_type": "bearer", "refresh_token", "access_token", "expires_in": 1800}`. A refused request
answers 400 with `{"status": "BAD_REFRESH_TOKEN" | "BAD_CLIENT_ID" | ..., "message"}` (the body HubSpot
answers, as integrators report it: https://community.hubspot.com/t5/APIs-Integrations/BAD-REFRESH-TOKEN/m-p/266455).
A call with an expired token answers 401 `EXPIRED_AUTHENTICATION`, "The OAuth token used to make this
call expired N minute(s) ago." Private-app tokens never expire (the sandbox's fixed token).

Only the refresh grant is modelled: the authorization-code grant needs a browser install flow, so it
answers `BAD_GRANT_TYPE` like any grant HubSpot does not accept here.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from ingest.sandbox.core.http import ApiError, Request, Response, same_secret
from ingest.sandbox.hubspot.errors import hubspot_error

ACCESS_TOKEN_SECONDS = 1800  # "access tokens ... expire after 30 minutes"


def oauth_error(status: str, message: str) -> Response:
    """The token endpoint's refusal: its own `status` field, not the CRM's `category` shape."""
    return Response(400, {"status": status, "message": message, "correlationId": str(uuid.uuid4())})


class OAuthTokens:
    """Access tokens issued by the refresh grant, each valid ACCESS_TOKEN_SECONDS of sandbox time."""

    def __init__(self) -> None:
        self._expiry: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def refresh(self, request: Request, expected: tuple[str, str, str], now: datetime) -> Response:
        """`expected` = (client_id, client_secret, refresh_token) the sandbox accepts."""
        form = {name: values[-1] for name, values in parse_qs(_text(request.body)).items()}
        client_id, client_secret, refresh_token = expected
        if form.get("grant_type") != "refresh_token":
            return oauth_error("BAD_GRANT_TYPE", "the sandbox models only grant_type=refresh_token")
        if not same_secret(form.get("client_id"), client_id):
            return oauth_error("BAD_CLIENT_ID", "missing or invalid client_id")
        if not same_secret(form.get("client_secret"), client_secret):
            return oauth_error("BAD_CLIENT_SECRET", "missing or invalid client_secret")
        if not same_secret(form.get("refresh_token"), refresh_token):
            return oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = "sandbox-oauth-" + secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        body = {
            "token_type": "bearer",
            "refresh_token": refresh_token,
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
        }
        return Response(200, body)

    def issued(self, token: str) -> bool:
        with self._lock:
            return token in self._expiry

    def check(self, token: str, now: datetime) -> None:
        """Raise HubSpot's 401 for an issued token past its lifetime."""
        with self._lock:
            expiry = self._expiry[token]
        if now >= expiry:
            minutes = int((now - expiry).total_seconds() // 60)
            message = f"The OAuth token used to make this call expired {minutes} minute(s) ago."
            raise ApiError(401, hubspot_error("EXPIRED_AUTHENTICATION", message))

    def expire_all(self, now: datetime) -> None:
        """An `expired_session` fault: every issued token is past its lifetime from now on."""
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, now)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, {"status": "BAD_REQUEST", "message": "the form body is not UTF-8"}) from exc
