"""The doctor's warehouse line: which engine the run will write to, and whether it can (issue 16)."""

from __future__ import annotations

from ingest.errors import SettingsError
from ingest.warehouse import WarehouseArg, describe
from orchestration.doctor.report import WAREHOUSE, Check, Status


def warehouse_check(location: WarehouseArg) -> Check:
    """OK naming the engine (PostgreSQL: reached, its version), or BLOCKING with the one-line reason."""
    try:
        return Check(WAREHOUSE, "engine", Status.OK, describe(location))
    except SettingsError as error:  # a bad URL, an unreachable server, a refused login: no password
        fix = "fix cadence.warehouse / --warehouse"
        return Check(WAREHOUSE, "engine", Status.BLOCKING, str(error), fix)
