"""The benchmark org: generated once per (accounts, visits, CRMs, seed, anchor) and cached on disk.

Beside the org file sits its census: per object, how many records are live and how many deleted or
archived, which is what the minimum number of API calls depends on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

Census = dict[str, dict[str, dict[str, int]]]  # crm -> object -> {"live": n, "gone": n}


@dataclass(frozen=True)
class OrgSpec:
    accounts: int
    visits: int
    crms: tuple[str, ...]
    seed: int
    anchor: date

    @property
    def stem(self) -> str:
        return f"org-{self.accounts}a-{self.visits}v-{'+'.join(self.crms)}-s{self.seed}-{self.anchor}"


def org_paths(workdir: Path, spec: OrgSpec) -> tuple[Path, Path]:
    path = workdir / f"{spec.stem}.json"
    return path, path.with_suffix(".census.json")


def ensure_org(workdir: Path, spec: OrgSpec) -> dict[str, Any]:
    """Generate the org unless cached; returns its path, census, record count and whether it was made."""
    import time

    from ingest.sandbox.generator import generate_org, write_org

    path, census_path = org_paths(workdir, spec)
    started = time.perf_counter()
    generated = not (path.exists() and census_path.exists())
    if generated:
        document = generate_org(
            accounts=spec.accounts,
            seed=spec.seed,
            visits=spec.visits,
            crms=spec.crms,
            anchor_date=spec.anchor,
        )
        census = take_census(document)
        write_org(document, path)
        census_path.write_bytes(orjson.dumps(census))
    census = orjson.loads(census_path.read_bytes())
    records = sum(c["live"] + c["gone"] for objects in census.values() for c in objects.values())
    return {
        "path": str(path),
        "census": census,
        "generated": generated,
        "records": records,
        "wall_s": time.perf_counter() - started,
    }


def take_census(document: dict[str, Any]) -> Census:
    census: Census = {}
    for crm, collections in document.items():
        for name, records in collections.items():
            if isinstance(records, list):
                gone = sum(1 for r in records if _is_gone(r))
                census.setdefault(crm, {})[name] = {"live": len(records) - gone, "gone": gone}
    return census


def _is_gone(record: dict[str, Any]) -> bool:
    return bool(record.get("IsDeleted") or record.get("archived"))


def total(census: Census, crm: str, names: Sequence[str] | None = None) -> int:
    objects = census.get(crm, {})
    return sum(c["live"] + c["gone"] for name, c in objects.items() if names is None or name in names)
