"""The project compiles for each other warehouse's adapter installed here, with no warehouse to ask
(orchestration/warehouse_compile.py, docs/warehouses.md): every model, and the relation names as that
adapter renders them. dbt-postgres is always installed; dbt-snowflake and dbt-bigquery come with the
`warehouses` extra, and their cases are skipped without it (DuckDB compiles in every nightly test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.dbt_runner import PROJECT_DIR
from orchestration.warehouse_compile import CompileResult, compile_for, main

# A staging model's source as each adapter names it: database (Postgres/Snowflake) or project (BigQuery)
# from the placeholder profile, the source's schema, its table; quoted as each adapter quotes by default.
SOURCE_RELATION = {
    "postgres": '"cadence"."raw_hubspot"."companies"',
    "snowflake": "cadence.raw_hubspot.companies",
    "bigquery": "`compile-only`.`raw_hubspot`.`companies`",
}
STAGING_MODEL = Path("staging/hubspot/stg_hubspot__companies.sql")
MODELS = sorted(path.relative_to(PROJECT_DIR / "models") for path in (PROJECT_DIR / "models").rglob("*.sql"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compile")


@pytest.mark.parametrize("adapter", sorted(SOURCE_RELATION))
def test_the_project_compiles_without_a_warehouse(adapter: str, workdir: Path) -> None:
    result: CompileResult = compile_for(adapter, workdir)
    if result.status == "not installed":
        pytest.skip(f"dbt-{adapter} is not installed: {result.detail}")
    assert result.status == "compiled", result.detail
    assert result.target_path is not None
    compiled = result.target_path / "compiled" / "cadence" / "models"
    files = [path.relative_to(compiled) for path in compiled.rglob("*.sql")]
    # models, then the data tests dbt compiles under their .yml file's name
    assert sorted(path for path in files if not path.parent.name.endswith(".yml")) == MODELS
    assert any(path.parent.name.endswith(".yml") for path in files)
    assert SOURCE_RELATION[adapter] in (compiled / STAGING_MODEL).read_text()
    print(result.line())


def test_an_unknown_adapter_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redshift"]) == 2
    assert capsys.readouterr().err == "unknown adapter redshift: use duckdb, postgres, snowflake, bigquery\n"
