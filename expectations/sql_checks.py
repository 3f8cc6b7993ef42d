"""Evaluate a suite where the data is: DuckDB computes each expectation's metrics, GX decides.

GX's own SQL path does not run on DuckDB (GX 1.24 with duckdb_engine 0.17): its
SqlAlchemyExecutionEngine.execute_query fetches a metric's rows after closing the connection, and
duckdb_engine's cursor is gone by then, so every metric comes back empty. Pulling whole tables into
pandas instead costs seconds per 100k rows. So this module plays the execution engine's part: for each
expectation it computes, in one read-only DuckDB connection, the metrics the expectation declares it
needs (`get_validation_dependencies`: the row count, the null and unexpected counts, the first
unexpected values and rows), and hands them to the expectation's own `metrics_validate`, which applies
its rule (`mostly`, the vacuous cases) and shapes the result exactly as GX's engines do. The results
go to GX's validation-results store, so the Data Docs are GX's own.

Only the map expectations the suites use are modelled (`PREDICATES`); any other one raises, rather
than being judged by a restated rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.warehouse import Warehouse

if TYPE_CHECKING:
    import great_expectations.expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

ROWS = "__suite_rows"  # the temp table one suite's query is materialised into


@dataclass(frozen=True)
class Predicate:
    """How one GX map metric reads in SQL: `unexpected` over the rows of `ROWS`, with its parameters;
    `domain` the rows the expectation looks at (GX ignores nulls; a column pair ignores rows where both
    are null); `columns` the values an example shows."""

    unexpected: str
    params: tuple[Any, ...]
    domain: str
    columns: tuple[str, ...]


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _column(kwargs: dict[str, Any]) -> tuple[str, str]:
    return kwargs["column"], _quoted(kwargs["column"])


def _not_null(kwargs: dict[str, Any]) -> Predicate:
    name, col = _column(kwargs)
    return Predicate(f"{col} is null", (), "true", (name,))


def _null(kwargs: dict[str, Any]) -> Predicate:
    name, col = _column(kwargs)
    return Predicate(f"{col} is not null", (), "true", (name,))


def _unique(kwargs: dict[str, Any]) -> Predicate:
    name, col = _column(kwargs)
    duplicates = f"(select {col} from {ROWS} group by {col} having count(*) > 1)"
    return Predicate(f"{col} in {duplicates}", (), f"{col} is not null", (name,))


def _between(kwargs: dict[str, Any]) -> Predicate:
    name, col = _column(kwargs)
    tests, params = [], []
    if kwargs.get("min_value") is not None:
        tests.append(f"{col} {'<=' if kwargs.get('strict_min') else '<'} ?")
        params.append(kwargs["min_value"])
    if kwargs.get("max_value") is not None:
        tests.append(f"{col} {'>=' if kwargs.get('strict_max') else '>'} ?")
        params.append(kwargs["max_value"])
    return Predicate(" or ".join(tests) or "false", tuple(params), f"{col} is not null", (name,))


def _in_set(kwargs: dict[str, Any]) -> Predicate:
    """One parameter per value (both engines; DuckDB's list_contains(?, col) is its own); an empty
    set leaves every non-null value unexpected."""
    name, col = _column(kwargs)
    values = tuple(kwargs["value_set"])
    unexpected = f"{col} not in ({', '.join('?' for _ in values)})" if values else "true"
    return Predicate(unexpected, values, f"{col} is not null", (name,))


def _pair_equal(kwargs: dict[str, Any]) -> Predicate:
    a, b = kwargs["column_A"], kwargs["column_B"]
    domain = f"not ({_quoted(a)} is null and {_quoted(b)} is null)"  # GX's default ignore_row_if
    return Predicate(f"{_quoted(a)} is distinct from {_quoted(b)}", (), domain, (a, b))


# GX map metric -> its SQL reading (the metric names are GX's, e.g. column_values.in_set).
PREDICATES: dict[str, Callable[[dict[str, Any]], Predicate]] = {
    "column_values.nonnull": _not_null,
    "column_values.null": _null,
    "column_values.unique": _unique,
    "column_values.between": _between,
    "column_values.in_set": _in_set,
    "column_pair_values.equal": _pair_equal,
}


class SuiteRows:
    """One suite's rows, materialised once in a temp table of `con` (a read-only connection may
    create temp tables), and the metrics GX asks of them."""

    def __init__(self, con: Warehouse, example_columns: Sequence[str], examples: int) -> None:
        self.con = con
        self.examples = examples
        present = set(con.execute(f"select * from {ROWS} limit 0").columns)
        self.index_columns = [c for c in example_columns if c in present]
        self.row_count = con.execute(f"select count(*) from {ROWS}").fetchone()[0]

    def counts(self, where: str, params: tuple[Any, ...]) -> int:
        return self.con.execute(f"select count(*) from {ROWS} where {where}", list(params)).fetchone()[0]

    def unexpected_rows(self, predicate: Predicate, where: str) -> list[dict[str, Any]]:
        """The first unexpected rows (by the example columns, for repeatable pages): index columns and
        the tested values, as GX's pandas engine reports them."""
        columns = list(dict.fromkeys([*self.index_columns, *predicate.columns]))
        order = ", ".join(_quoted(c) for c in self.index_columns) or "1"
        rows = self.con.execute(
            f"select {', '.join(_quoted(c) for c in columns)} from {ROWS} where {where} "
            f"order by {order} limit {self.examples}",
            list(predicate.params),
        ).fetchall()
        return [dict(zip(columns, row, strict=True)) for row in rows]


def metrics_for(rows: SuiteRows, metric: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every metric `metric` (a GX map metric) can be asked for, by GX's metric names."""
    reading = PREDICATES.get(metric)
    if reading is None:
        raise NotImplementedError(f"no SQL reading of GX metric {metric}: add one to PREDICATES")
    predicate = reading(kwargs)
    where = f"({predicate.domain}) and ({predicate.unexpected})"
    examples = rows.unexpected_rows(predicate, where)
    values = [
        row[predicate.columns[0]] if len(predicate.columns) == 1 else tuple(row[c] for c in predicate.columns)
        for row in examples
    ]
    metrics = {
        f"{metric}.unexpected_count": rows.counts(where, predicate.params),
        f"{metric}.unexpected_values": values,
        f"{metric}.unexpected_index_list": examples if rows.index_columns else None,
        f"{metric}.unexpected_index_query": None,
        f"{metric}.filtered_row_count": rows.counts(predicate.domain, ()),
    }
    if "column" in kwargs:  # GX's map expectations discount a column's nulls by this metric
        metrics["column_values.nonnull.unexpected_count"] = rows.counts(
            f"{_quoted(kwargs['column'])} is null", ()
        )
    return metrics


def validate_expectation(rows: SuiteRows, expectation: gxe.Expectation, result_format: dict[str, Any]) -> Any:
    """GX's verdict on `expectation` from the metrics computed in DuckDB."""
    runtime = {"result_format": dict(result_format)}
    needs = expectation.get_validation_dependencies(runtime_configuration=runtime).metric_configurations
    map_metric = getattr(expectation, "map_metric", None)
    if not map_metric:
        raise NotImplementedError(f"{type(expectation).__name__} is not a map expectation")
    computed = {
        "table.row_count": rows.row_count,
        **metrics_for(rows, map_metric, expectation.configuration.kwargs),
    }
    missing = [name for name in needs if name not in computed]
    if missing:
        raise NotImplementedError(f"{type(expectation).__name__} needs metrics {missing}")
    metrics = {config.id: computed[name] for name, config in needs.items()}
    return expectation.metrics_validate(metrics, runtime_configuration=runtime)


def validate_suite(
    con: Warehouse | Any,
    query: str,
    expectations: Sequence[gxe.Expectation],
    example_columns: Sequence[str],
    result_format: dict[str, Any],
) -> tuple[int, list[Any]]:
    """Materialise `query` once, then validate every expectation on it (the row count and GX's
    results); the temp table is dropped. `con`: a warehouse connection, or a DuckDB one (a frame)."""
    con = Warehouse.wrap(con)
    con.execute(f"drop table if exists {ROWS}")
    con.execute(f"create temp table {ROWS} as {query}")
    try:
        rows = SuiteRows(con, example_columns, int(result_format.get("partial_unexpected_count", 20)))
        return rows.row_count, [validate_expectation(rows, e, result_format) for e in expectations]
    finally:
        con.execute(f"drop table if exists {ROWS}")


def store_results(
    context: AbstractDataContext,
    suite_name: str,
    results: list[Any],
    run_id: RunIdentifier,
    source: str,
) -> ValidationResultIdentifier:
    """File the suite's results in GX's validation-results store (the Data Docs read them there);
    returns their key, which names the result's Data Docs page."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    stats = calc_validation_statistics(results)
    run_time = run_id.run_time or dt.datetime.now(dt.UTC)
    batch_id = f"duckdb-{suite_name}"
    meta = {
        "great_expectations_version": gx.__version__,
        "run_id": run_id.to_json_dict(),
        "validation_time": run_time.isoformat(),
        "batch_spec": {"query": source},
        "active_batch_definition": {
            "datasource_name": "warehouse",
            "data_connector_name": "duckdb",
            "data_asset_name": suite_name,
            "batch_identifiers": {},
        },
    }
    suite_result = ExpectationSuiteValidationResult(
        success=stats.success,
        results=results,
        suite_name=suite_name,
        statistics={
            "evaluated_expectations": stats.evaluated_expectations,
            "successful_expectations": stats.successful_expectations,
            "unsuccessful_expectations": stats.unsuccessful_expectations,
            "success_percent": stats.success_percent,
        },
        meta=meta,
        batch_id=batch_id,
    )
    suite_id = ExpectationSuiteIdentifier(name=suite_name)
    key = ValidationResultIdentifier(suite_id, run_id, batch_id)
    context.validation_results_store.store_validation_results(
        suite_validation_result=suite_result,
        suite_validation_result_identifier=key,
        expectation_suite_identifier=suite_id,
    )
    return key
