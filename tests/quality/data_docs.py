"""Reading a run's Data Docs back: the GX validation results its page shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from expectations.runner import docs_root


def latest_page(warehouse: Path) -> Path:
    """The newest run's page under the warehouse's quality-docs/."""
    return max((docs_root(warehouse) / "runs").glob("*/index.html"), key=lambda path: path.stat().st_mtime)


def suite_results(page: Path) -> dict[str, dict[str, Any]]:
    """suite -> the stored GX validation result of that run (what its Data Docs page shows)."""
    results = {}
    for path in (page.parent / "gx" / "uncommitted" / "validations").rglob("*.json"):
        result = json.loads(path.read_text())
        results[result["suite_name"]] = result
    return results
