"""Telling a certificate problem from a dropped connection: requests raises both as SSLError (a
ConnectionError), but only the second is worth retrying."""

from __future__ import annotations

import ssl

import requests

_CERTIFICATE_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "doesn't match", "hostname")


def is_certificate_error(error: BaseException) -> bool:
    """True when TLS refused the server's certificate (untrusted CA, expired, wrong host name): the
    next attempt meets the same certificate, so retrying it only delays the one-line error."""
    if not isinstance(error, requests.exceptions.SSLError):
        return False
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if any(marker in str(seen) for marker in _CERTIFICATE_MARKERS):
            return True
        seen = seen.__cause__ or seen.__context__ or _first_arg_error(seen)
    return False


def _first_arg_error(error: BaseException) -> BaseException | None:
    """urllib3 wraps the ssl error in MaxRetryError.reason, carried in the args, not as a cause."""
    for arg in error.args:
        if isinstance(arg, BaseException) and arg is not error:
            return arg
        reason = getattr(arg, "reason", None)
        if isinstance(reason, BaseException):
            return reason
    return None
