"""The shared partial-parse seed (orchestration/dbt_child.py): which file a call shares, and how a new
target gets it and a newer cache replaces it."""

import os
from pathlib import Path

from ingest.warehouse import WarehouseLocation
from orchestration.dbt_child import PARTIAL_PARSE_FILE, SEEDS_KEPT, seed_partial_parse, share_partial_parse
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


def test_a_target_without_a_cache_gets_the_seed_and_one_with_a_cache_keeps_its_own(tmp_path: Path) -> None:
    seed = tmp_path / "seeds" / "key.msgpack"
    seed.parent.mkdir()
    seed.write_bytes(b"seed")
    new, warm = tmp_path / "new-target", tmp_path / "warm-target"
    warm.mkdir()
    (warm / PARTIAL_PARSE_FILE).write_bytes(b"own")
    seed_partial_parse(seed, new)
    seed_partial_parse(seed, warm)
    assert (new / PARTIAL_PARSE_FILE).read_bytes() == b"seed"
    assert (warm / PARTIAL_PARSE_FILE).read_bytes() == b"own"
    seed_partial_parse(tmp_path / "seeds" / "missing.msgpack", tmp_path / "third")  # no seed yet: nothing
    assert not (tmp_path / "third").exists()


def test_only_a_cache_newer_than_the_seed_replaces_it_and_old_seeds_are_pruned(tmp_path: Path) -> None:
    seeds, target = tmp_path / "seeds", tmp_path / "target"
    target.mkdir()
    cache = target / PARTIAL_PARSE_FILE
    cache.write_bytes(b"first parse")
    seed = seeds / "key.msgpack"
    share_partial_parse(seed, target)  # no seed yet: this cache becomes it
    assert seed.read_bytes() == b"first parse"
    cache.write_bytes(b"older parse")
    os.utime(cache, ns=(seed.stat().st_mtime_ns - 10**9,) * 2)
    share_partial_parse(seed, target)
    assert seed.read_bytes() == b"first parse"
    for n in range(SEEDS_KEPT + 2):  # older seeds of other keys
        old = seeds / f"other-{n}.msgpack"
        old.write_bytes(b"x")
        os.utime(old, ns=(10**18 + n,) * 2)
    cache.write_bytes(b"newer parse")
    os.utime(cache, ns=(2 * 10**18,) * 2)
    share_partial_parse(seed, target)
    assert seed.read_bytes() == b"newer parse"
    kept = sorted(p.name for p in seeds.iterdir())
    assert len(kept) == SEEDS_KEPT and "key.msgpack" in kept and "other-0.msgpack" not in kept
    assert not list(seeds.glob(".*"))  # no partial copy left behind

