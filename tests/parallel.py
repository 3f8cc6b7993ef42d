"""The suite on several workers (pytest-xdist, `make test` runs `-n 4 --dist loadfile`).

Most end-to-end tests wait, not compute: on HubSpot's search lag, on rate-limit pacing, on dbt
subprocesses. Workers overlap those waits. Two things must not be done by every worker at once:

- the dbt manifest Dagster's asset graph is built from (`dbt parse` into dbt_project/target when a
  model changed): every worker builds the definitions in its first test, and concurrent parses
  write the same files. The xdist controller prepares it once, before any worker starts;
- a module-scoped fixture (a warehouse built once and read by many tests) would be built again by
  each worker that runs one of its tests: `--dist loadfile` sends each file's tests to one worker.
  (`--dist loadgroup` with a marker per module would spread the other files more finely, but xdist
  3.8's group suffix does not take on pytest 9: the tests were spread anyway.)

Under `--dist loadfile` the work is handed out longest first (tests/xdist_schedule.py), from the
measured SECONDS below; the files of SPLIT_FILES (several long tests, each with its own sandbox and
runs, no module-scoped fixture) go out one test at a time.

Every test already owns its ports (the sandbox binds port 0), files (tmp_path), dbt target and log
paths, and working directory (monkeypatch.chdir), so nothing else is shared.
"""

from __future__ import annotations

from typing import Any

import pytest

# Seconds per work unit (a file, or a test of a split file; a parametrised test's every case), from
# `pytest -n 4 --dist loadfile --durations=0` on a loaded 2-core machine: only the order matters, so
# relative costs are enough. Unlisted work is short. Refresh when a file's cost changes a lot.
SECONDS: dict[str, float] = {
}

# Files whose long tests each start their own sandbox (no module- or session-scoped fixture but the
# conftest's): one work unit per test. A file with a module-scoped fixture must never be listed, or
# each worker running one of its tests would build that fixture again.
SPLIT_FILES = frozenset({
})  # fmt: skip


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` (make test): the longest work first; other modes are xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.xdist_schedule import LongestFirstScheduling

    return LongestFirstScheduling(config, log, SECONDS, SPLIT_FILES)


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        _prepare_dbt_manifest()


def _is_xdist_controller(config: pytest.Config) -> bool:
    workers = config.getoption("numprocesses", default=None)
    return not hasattr(config, "workerinput") and bool(workers)


def _prepare_dbt_manifest() -> None:
    from orchestration.defs.dbt import prepared_manifest

    prepared_manifest()
