"""The shared partial-parse seed (orchestration/dbt_child.py): which folder a call shares, and when a
target's cache replaces the seed."""

import os
import time
from pathlib import Path

from ingest.warehouse import WarehouseLocation
from orchestration.dbt_child import PARTIAL_PARSE_FILE, SEED_IDLE_SECONDS, SEEDS_KEPT, share_partial_parse
from orchestration.dbt_runner import dbt_args, parse_seed, warehouse_env
from orchestration.rules import Rules

BUILD = dbt_args(["build"], rules=Rules())


def _env(warehouse: str) -> dict[str, str]:
    return warehouse_env(WarehouseLocation.parse(warehouse))


def test_warehouses_of_one_file_name_share_a_seed_other_profiles_and_vars_do_not(tmp_path: Path) -> None:
    here = _env(str(tmp_path / "a" / "warehouse.duckdb"))
    there = _env(str(tmp_path / "b" / "warehouse.duckdb"))
    assert parse_seed(here, BUILD) == parse_seed(there, BUILD)
    assert parse_seed(here, BUILD) != parse_seed(_env(str(tmp_path / "a" / "other.duckdb")), BUILD)
    other_rules = dbt_args(["build"], rules=Rules(due_soon_days=3))
    assert parse_seed(here, BUILD) != parse_seed(here, other_rules)
    assert parse_seed(here, BUILD) == parse_seed(here, ["parse", *BUILD[1:]])  # the command is no part


def test_a_postgres_seed_is_named_without_its_password() -> None:
    first = parse_seed(_env("postgresql://cadence:first-secret@db:5432/cadence"), BUILD)
    assert first == parse_seed(_env("postgresql://cadence:second-secret@db:5432/cadence"), BUILD)
    assert first != parse_seed(_env("postgresql://cadence:first-secret@db:5432/other"), BUILD)
    assert "secret" not in str(first)


def _age(path: Path, seconds_ago: float) -> None:
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))


def test_only_a_cache_newer_than_the_seed_replaces_it(tmp_path: Path) -> None:
    seed_folder, target = tmp_path / "seeds" / "key", tmp_path / "target"
    target.mkdir()
    cache, seed = target / PARTIAL_PARSE_FILE, seed_folder / PARTIAL_PARSE_FILE
    cache.write_bytes(b"first parse")
    share_partial_parse(seed_folder, target)  # no seed yet: this cache becomes it
    assert seed.read_bytes() == b"first parse"
    cache.write_bytes(b"older parse")
    _age(cache, 60)
    share_partial_parse(seed_folder, target)
    assert seed.read_bytes() == b"first parse"
    cache.write_bytes(b"newer parse")
    _age(cache, -60)
    share_partial_parse(seed_folder, target)
    assert seed.read_bytes() == b"newer parse"
    assert sorted(p.name for p in seed_folder.iterdir()) == [PARTIAL_PARSE_FILE]  # no partial copy left


def test_seeds_beyond_the_kept_are_removed_only_once_idle_for_a_day(tmp_path: Path) -> None:
    seeds, target = tmp_path / "seeds", tmp_path / "target"
    target.mkdir()
    for n in range(SEEDS_KEPT + 2):  # the two oldest: one idle for a day, one in use an hour ago
        old = seeds / f"other-{n}" / PARTIAL_PARSE_FILE
        old.parent.mkdir(parents=True)
        old.write_bytes(b"x")
        _age(old, SEED_IDLE_SECONDS + 60 if n == 0 else 3600 - n)
    (target / PARTIAL_PARSE_FILE).write_bytes(b"a new key's parse")
    share_partial_parse(seeds / "key", target)
    kept = sorted(p.name for p in seeds.iterdir())
    assert len(kept) == SEEDS_KEPT + 2 and "key" in kept and "other-0" not in kept and "other-1" in kept
