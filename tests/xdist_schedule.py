"""The order `make test` hands work to its xdist workers: the longest first (tests/parallel.py).

xdist's `--dist loadfile` queues files by their number of tests, most first, which puts the suite's
longest files last: the soak (one test, minutes long) or the bench smoke (eight tests reading one
module fixture) then start when the other workers are nearly done and run alone at the end. Handing
out the longest work first (the longest-processing-time rule of multiprocessor scheduling) keeps
the workers busy until all end at about the same time. The costs are measured seconds
(tests/parallel.py, SECONDS); work not listed there is short and keeps xdist's order after it.

Files whose long tests each start their own sandbox and runs (SPLIT_FILES: no module-scoped fixture)
are split into one work unit per test, so one file's several nightly runs spread over the workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling


def unit_of(nodeid: str, split_files: frozenset[str]) -> str:
    """The work unit of a test: its file, or the test itself in a split file."""
    path = nodeid.split("::", 1)[0]
    return nodeid if path in split_files else path


def cost_of(unit: str, seconds: Mapping[str, float]) -> float:
    """A unit's measured seconds: its own entry, or (a test) the entry of the longest prefix of its
    name in its file, which every case of a parametrised test shares; 0 when none."""
    if unit in seconds:
        return seconds[unit]
    path, _, test = unit.partition("::")
    prefixes = [key for key in seconds if test and key.startswith(f"{path}::") and unit.startswith(key)]
    return seconds[max(prefixes, key=len)] if prefixes else 0.0


def longest_first(
    collection: Sequence[str], seconds: Mapping[str, float], split_files: frozenset[str]
) -> list[str]:
    """The node ids, their units' costs descending; ties as xdist orders them (most tests first).
    Sorting is stable, so a unit's tests stay together and in their order."""
    tests_in: dict[str, int] = {}
    for nodeid in collection:
        unit = unit_of(nodeid, split_files)
        tests_in[unit] = tests_in.get(unit, 0) + 1

    def key(nodeid: str) -> tuple[float, int]:
        unit = unit_of(nodeid, split_files)
        return -cost_of(unit, seconds), -tests_in[unit]

    return sorted(collection, key=key)


class LongestFirstScheduling(LoadFileScheduling):
    """`--dist loadfile` with the split files split by test, in the order of the collection: each
    worker's collection is already longest first (tests/parallel.py sorts it on the worker, since
    xdist sends a worker the indices of tests in its own collection)."""

    def __init__(self, config: pytest.Config, log: Any, split_files: frozenset[str]) -> None:
        super().__init__(config, log)
        self.split_files = split_files
        config.option.loadscopereorder = False  # xdist would re-sort the queue by number of tests

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid, self.split_files)
