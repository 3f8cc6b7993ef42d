"""Import the quality gate's library while the first sync waits on its CRM.

Great Expectations costs seconds to import (its package imports every core expectation, and with them
SciPy), and the raw checks need it right after the first sync. A sync spends most of its time waiting:
on the CRM's answers and on the HubSpot limit's pacing (ingest/pacing.py), time in which this thread
holds the GIL for the import instead. It only imports: nothing is built, read or written, and an import
that fails here fails again, with its message, in the step that needs it.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Sequence

logger = logging.getLogger(__name__)

# expectations.runner first: it sets GX's environment (no analytics) before GX is imported.
QUALITY_MODULES = ("expectations.runner", "great_expectations", "great_expectations.expectations")


def start_prewarm(modules: Sequence[str] = QUALITY_MODULES) -> threading.Thread | None:
    """Import `modules` on a daemon thread; None when they are imported already (a second run)."""
    missing = [name for name in modules if name not in sys.modules]
    if not missing:
        return None
    thread = threading.Thread(target=_import_all, args=(missing,), name="cadence-prewarm", daemon=True)
    thread.start()
    return thread


def _import_all(modules: Sequence[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # the step that needs the module imports it again and fails there
            logger.debug("prewarm of %s failed: %s", name, error)
            return
