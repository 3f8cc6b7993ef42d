"""HTTP sessions shared by the CRM clients."""

from __future__ import annotations

from typing import Any

import requests


class PinnedCASession(requests.Session):
    """A requests session whose `verify` wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.

    requests lets those environment variables override `session.verify`, so a client told to trust
    the sandbox's CA would silently fall back to the system bundle and fail the TLS handshake.
    """

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if isinstance(self.verify, str) and verify in (None, True):
            settings["verify"] = self.verify
        return settings


def make_session(ca_bundle: str | None = None) -> requests.Session:
    """A keep-alive session; `ca_bundle` is a PEM file to trust instead of the system CAs."""
    session = PinnedCASession()
    if ca_bundle:
        session.verify = ca_bundle
    return session
