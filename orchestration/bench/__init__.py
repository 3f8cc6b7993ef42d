"""Benchmarks: `cadence bench` sizes a nightly run on a generated org (see orchestration/bench/run.py)."""

from orchestration.bench.run import BenchOptions, run_bench

__all__ = ["BenchOptions", "run_bench"]
