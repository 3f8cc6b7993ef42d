"""What one CRM sync did, for logs, the CLI and Dagster metadata."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyncResult:
    crm: str
    rows_by_table: dict[str, int]  # rows loaded (inserted or merged) per raw table in this sync
    api_calls: int  # HTTP requests made, login and retries included
    seconds: float
