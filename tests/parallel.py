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

Every test already owns its ports (the sandbox binds port 0), files (tmp_path), dbt target and log
paths, and working directory (monkeypatch.chdir), so nothing else is shared.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        _prepare_dbt_manifest()


def _is_xdist_controller(config: pytest.Config) -> bool:
    workers = config.getoption("numprocesses", default=None)
    return not hasattr(config, "workerinput") and bool(workers)


def _prepare_dbt_manifest() -> None:
    from orchestration.defs.dbt import prepared_manifest

    prepared_manifest()
