"""Errors the pipeline raises to its users.

Every message is ONE line that names what went wrong and the setting or action that fixes it, and never
contains a secret (tokens, client secrets, passwords), so it can go straight to a log or a CLI.
"""

from __future__ import annotations


class CadenceError(Exception):
    """Base class: a failure the user can fix; `str(error)` is a one-line, secret-free message."""


class CrmAuthError(CadenceError):
    """The CRM rejected our credentials, or a session could not be (re-)established."""


class CrmUnreachableError(CadenceError):
    """The CRM could not be reached (DNS, TLS, refused or dropped connections, repeated 5xx)."""


class CrmSchemaError(CadenceError):
    """The CRM lacks an object or field the pipeline requires, or answered in an unexpected shape."""


class CrmRateLimitError(CadenceError):
    """The CRM kept throttling us (429 / REQUEST_LIMIT_EXCEEDED) after every retry."""


class SettingsError(CadenceError):
    """A setting is missing, mistyped or inconsistent; raised before any work starts."""


class UsageError(CadenceError):
    """A command-line argument names a file, run or CRM that does not exist."""
