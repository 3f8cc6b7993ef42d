"""The order `make test` hands work to its workers (tests/xdist_schedule.py): the longest first."""

from __future__ import annotations

from pathlib import Path

from tests.parallel import SECONDS, SPLIT_FILES
from tests.xdist_schedule import cost_of, longest_first, unit_of

SOAK = "tests/soak/test_soak.py::test_nights"
SPLIT = frozenset({"tests/e2e/test_guards.py"})
COLLECTION = [
    "tests/sandbox/test_many.py::test_a",
    "tests/sandbox/test_many.py::test_b",
    "tests/sandbox/test_many.py::test_c",
    "tests/e2e/test_guards.py::test_pure_rule",
    "tests/e2e/test_guards.py::test_backdated[salesforce]",
    "tests/e2e/test_guards.py::test_backdated[hubspot]",
    "tests/e2e/test_guards.py::test_queue_jump",
    "tests/bench/test_smoke.py::test_x",
    "tests/bench/test_smoke.py::test_y",
    "tests/settings/test_two.py::test_a",
    "tests/settings/test_two.py::test_b",
    SOAK,
]
MEASURED = {
    "tests/soak/test_soak.py": 600,
    "tests/bench/test_smoke.py": 350,
    "tests/e2e/test_guards.py::test_back": 150,  # a prefix of the test's name
    "tests/e2e/test_guards.py::test_queue_jump": 400,
}


def test_a_split_file_is_one_unit_per_test_and_other_files_one_unit() -> None:
    assert unit_of("tests/e2e/test_guards.py::test_backdated[hubspot]", SPLIT) == (
        "tests/e2e/test_guards.py::test_backdated[hubspot]"
    )
    assert unit_of("tests/bench/test_smoke.py::test_x", SPLIT) == "tests/bench/test_smoke.py"


def test_a_test_costs_its_prefix_entry_every_case_alike_and_unlisted_units_nothing() -> None:
    assert cost_of("tests/e2e/test_guards.py::test_backdated[salesforce]", MEASURED) == 150
    assert cost_of("tests/e2e/test_guards.py::test_backdated[hubspot]", MEASURED) == 150
    assert cost_of("tests/e2e/test_guards.py::test_queue_jump", MEASURED) == 400
    assert cost_of("tests/e2e/test_guards.py::test_pure_rule", MEASURED) == 0
    assert cost_of("tests/settings/test_two.py", MEASURED) == 0
    assert cost_of("tests/soak/test_soak.py", MEASURED) == 600


def test_the_longest_units_go_first_and_the_rest_keep_xdists_order() -> None:
    assert longest_first(COLLECTION, MEASURED, SPLIT) == [
        SOAK,
        "tests/e2e/test_guards.py::test_queue_jump",
        "tests/bench/test_smoke.py::test_x",
        "tests/bench/test_smoke.py::test_y",
        "tests/e2e/test_guards.py::test_backdated[salesforce]",
        "tests/e2e/test_guards.py::test_backdated[hubspot]",
        # unlisted: the most tests first, as xdist orders them
        "tests/sandbox/test_many.py::test_a",
        "tests/sandbox/test_many.py::test_b",
        "tests/sandbox/test_many.py::test_c",
        "tests/settings/test_two.py::test_a",
        "tests/settings/test_two.py::test_b",
        "tests/e2e/test_guards.py::test_pure_rule",
    ]


def test_the_measured_table_names_only_files_and_tests_that_exist() -> None:
    """A renamed file or test must not silently lose its place at the front; a test's entry is a
    prefix of the names of tests in a split file."""
    root = Path(__file__).resolve().parents[2]
    missing = []
    for unit in [*SECONDS, *SPLIT_FILES]:
        path, _, test = unit.partition("::")
        source = root / path
        exists = source.is_file()
        named = not test or (exists and path in SPLIT_FILES and f"def {test}" in source.read_text("utf-8"))
        if not (exists and named):  # a test of a file that goes out whole would cost nothing
            missing.append(unit)
    assert missing == []


def test_no_split_file_has_a_module_scoped_fixture() -> None:
    """Split by test, such a fixture would be built again by every worker running one of its tests."""
    root = Path(__file__).resolve().parents[2]
    shared = [path for path in SPLIT_FILES if 'scope="module"' in (root / path).read_text("utf-8")]
    assert shared == []
