"""The progress table `cadence bench` prints while it runs, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from orchestration.bench.bounds import ApiBound

COLUMNS = (
    ("step", 34, "<"),
    ("wall s", 8, ">"),
    ("rows", 11, ">"),
    ("rows/s", 10, ">"),
    ("calls (min)", 15, ">"),
    ("API-bound s", 11, ">"),
    ("all calls", 10, ">"),
    ("peak MB", 8, ">"),
)


@dataclass
class Row:
    step: str
    crm: str | None
    wall_s: float
    rows: int
    peak_mb: float
    api_calls: int | None = None
    calls: int | None = None  # the step's read or write calls (see orchestration/bench/calls.py)
    min_calls: int | None = None
    # The least time the step's calls take at the vendor's published limits (orchestration/bench/bounds.py)
    api_bound: ApiBound | None = None
    details: dict[str, Any] = field(default_factory=dict)
    engine: str | None = None  # the warehouse engine of the pass (None: a step before the passes)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def label(self) -> str:
        return f"{self.step} [{self.crm}]" if self.crm else self.step

    def cells(self) -> list[str]:
        calls = "—" if self.calls is None else f"{self.calls:,} ({self.min_calls:,})"
        return [
            self.label,
            f"{self.wall_s:.1f}",
            f"{self.rows:,}",
            f"{self.rows_per_s:,.0f}" if self.rows and self.wall_s >= 0.05 else "—",
            calls,
            "—" if self.api_bound is None else self.api_bound.cell(),
            "—" if self.api_calls is None else f"{self.api_calls:,}",
            f"{self.peak_mb:,.0f}",
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "crm": self.crm,
            "engine": self.engine,
            "wall_s": round(self.wall_s, 3),
            "rows": self.rows,
            "rows_per_s": round(self.rows_per_s),
            "calls": self.calls,
            "min_calls": self.min_calls,
            "api_calls": self.api_calls,
            "api_bound": None if self.api_bound is None else self.api_bound.as_json(),
            "peak_mb": round(self.peak_mb),
            "details": self.details,
        }


def _line(cells: list[str]) -> str:
    return "  ".join(f"{cell:{align}{width}}" for cell, (_, width, align) in zip(cells, COLUMNS, strict=True))


class Printer:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def header(self) -> None:
        self.say(_line([name for name, _, _ in COLUMNS]))

    def started(self, label: str) -> None:
        if self.out.isatty():  # overwritten by the step's row
            print(f"{label:<34}  running…", end="\r", file=self.out, flush=True)

    def row(self, row: Row) -> None:
        self.say(_line(row.cells()))

    def steps(self, step_seconds: dict[str, float], shown: int = 6) -> None:
        """Where a nightly job's time went: its start-up, then its slowest steps (slowest first)."""
        startup = step_seconds.get("start-up")
        slowest = [(step, sec) for step, sec in step_seconds.items() if step != "start-up"][:shown]
        parts = [f"start-up {startup:.1f}"] if startup is not None else []
        parts += [f"{step} {seconds:.1f}" for step, seconds in slowest]
        self.say("    steps (s): " + ", ".join(parts))

    def side_by_side(self, compared: list[dict[str, Any]], engines: Sequence[str]) -> None:
        """Each step's wall time per engine, the last engine's over the first's, and whether the CRM
        saw the same API calls (it should: the engine changes only where the rows land)."""
        first, last = engines[0], engines[-1]
        self.say(f"\nside by side: wall s per warehouse engine ({last} / {first}), and the API calls of each")
        self.say(_SIDE_LINE.format("step", *engines, "ratio", "calls"))
        for entry in compared:
            walls = [f"{entry['wall_s'][engine]:.1f}" for engine in engines]
            ratio = entry["ratio"]
            calls = entry["api_calls"]
            same = "same" if len(set(calls.values())) == 1 else " / ".join(str(n) for n in calls.values())
            if calls.get(first) is None:
                same = "—"
            self.say(_SIDE_LINE.format(entry["step"], *walls, "—" if ratio is None else f"{ratio:.2f}", same))


_SIDE_LINE = "{:<42}  {:>8}  {:>8}  {:>6}  {}"


def side_by_side(rows: Sequence[Row], engines: Sequence[str]) -> list[dict[str, Any]]:
    """The steps every engine ran, in the first engine's order: wall time per engine, the ratio of the
    last engine's to the first's, and the API calls per engine. Empty with one engine."""
    if len(engines) < 2:
        return []
    by_key = {(row.engine, row.label): row for row in rows}
    compared = []
    for row in rows:
        if row.engine != engines[0]:
            continue
        found = [by_key.get((engine, row.label)) for engine in engines]
        if any(other is None for other in found):
            continue
        walls = {engine: round(other.wall_s, 2) for engine, other in zip(engines, found, strict=True)}
        compared.append({
            "step": row.label,
            "wall_s": walls,
            "ratio": round(walls[engines[-1]] / walls[engines[0]], 2) if walls[engines[0]] > 0 else None,
            "api_calls": {engine: other.api_calls for engine, other in zip(engines, found, strict=True)},
            "rows": {engine: other.rows for engine, other in zip(engines, found, strict=True)},
        })  # fmt: skip
    return compared


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
