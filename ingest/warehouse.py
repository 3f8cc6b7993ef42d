"""Where the warehouse lives: a DuckDB file (the embedded default) or a PostgreSQL database (issue 16).

`--warehouse` and `cadence.warehouse` take either a path (`var/warehouse.duckdb`) or a URL
(`postgresql://user:password@host:5432/db`, libpq's URI form). Everything that opens the warehouse
parses the setting here, once; a password in the URL is never shown (`str()` redacts it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from ingest.errors import SettingsError

Engine = Literal["duckdb", "postgres"]
# libpq accepts both schemes (PostgreSQL docs, 34.1.1 "Connection Strings").
_POSTGRES_SCHEMES = ("postgresql", "postgres")
# DuckDB opens these as MotherDuck databases (motherduck.com/docs, "Connecting to MotherDuck"); as a path
# here they would be a local file named `md:db`. dbt and dlt reach MotherDuck, the Python readers do not
# yet (docs/warehouses.md), so the setting is refused rather than silently written to a local file.
_MOTHERDUCK_PREFIXES = ("md:", "motherduck:")


@dataclass(frozen=True)
class WarehouseLocation:
    engine: Engine
    path: Path | None = None  # duckdb
    url: str | None = None  # postgres, with its credentials: never print it, print str(location)

    @classmethod
    def parse(cls, value: str | Path | WarehouseLocation) -> WarehouseLocation:
        if isinstance(value, WarehouseLocation):
            return value
        text = str(value).strip()
        if text.lower().startswith(_MOTHERDUCK_PREFIXES):
            raise SettingsError(
                f"warehouse {text.split('?', 1)[0]}: MotherDuck is not supported by cadence yet "
                "(docs/warehouses.md): use a DuckDB file path or a postgresql:// URL"
            )  # the query string may hold motherduck_token: never shown
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if not scheme:
            return cls(engine="duckdb", path=Path(text))
        if scheme not in _POSTGRES_SCHEMES:
            raise SettingsError(
                f"warehouse {_redact(text)}: use a DuckDB file path or a postgresql://user@host:port/db URL"
            )
        parts = urlsplit(text)
        if not parts.hostname or not parts.path.strip("/"):
            raise SettingsError(
                f"warehouse {_redact(text)}: name the host and the database, "
                "e.g. postgresql://cadence@db.example.com:5432/cadence"
            )
        return cls(engine="postgres", url=text)

    @property
    def is_postgres(self) -> bool:
        return self.engine == "postgres"

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else _redact(self.url or "")


def _redact(url: str) -> str:
    """The URL with its password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}{port}"))
