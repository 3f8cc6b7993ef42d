"""The registry asset reloads a configured file only when it changed (size or mtime recorded in
cadence_ops.registry_loads), and the loader's user errors are one line with exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest.registries.sample import Provider, Referrer, write_nppes, write_order_referring
from orchestration.cli import main
from orchestration.defs.registries import NPPES_KEY, ORDER_REFERRING_KEY, registries_definitions
from orchestration.resources import RegistryFiles, WarehouseResource

ORG = Provider(
    "1000000001", 2, organization_name="A, B & C CLINIC", address_line_1="1 MAIN ST", postal_code="62701"
)


def _reloaded(files: RegistryFiles, warehouse: Path) -> dict[dg.AssetKey, bool]:
    defs = registries_definitions(files)
    result = dg.materialize(
        list(defs.assets or []),
        resources={"registries": files, "warehouse": WarehouseResource(path=str(warehouse))},
    )
    return {
        event.asset_key: event.step_materialization_data.materialization.metadata["reloaded"].value
        for event in result.get_asset_materialization_events()
    }


def test_asset_reloads_a_file_only_when_it_changed(tmp_path: Path) -> None:
    nppes = write_nppes(tmp_path / "npidata_pfile_20050523-20240707.csv", [ORG])
    order_referring = write_order_referring(
        tmp_path / "OrderReferring.csv", [Referrer("1000000001", "X", "Y")]
    )
    files = RegistryFiles(nppes=str(nppes), order_referring=str(order_referring))
    warehouse = tmp_path / "warehouse.duckdb"

    assert _reloaded(files, warehouse) == {NPPES_KEY: True, ORDER_REFERRING_KEY: True}
    assert _reloaded(files, warehouse) == {NPPES_KEY: False, ORDER_REFERRING_KEY: False}
    write_nppes(nppes, [ORG, Provider("1000000002", 1, last_name="NEW", first_name="ROW")])
    os.utime(nppes, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert _reloaded(files, warehouse) == {NPPES_KEY: True, ORDER_REFERRING_KEY: False}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_registries.nppes_providers").fetchone() == (2,)
        loads = con.execute("select kind, rows from cadence_ops.registry_loads order by loaded_at").fetchall()
        assert loads == [
            ("nppes", 1), ("order_referring", 1), ("nppes", 2),
        ]  # fmt: skip


def test_no_configured_file_no_asset() -> None:
    assert not registries_definitions(RegistryFiles()).assets


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--nppes", "missing.csv"],
         "error: NPPES file missing.csv not found; download it from CMS or check the path"),
        (["--order-referring", "{nppes}"],
         "error: Order and Referring file {nppes} has no column 'LAST_NAME' (and 6 more)"),
        (["--nppes", "{order_referring}"],
         "error: NPPES file {order_referring} has no column 'Entity Type Code'"),
        ([], "error: nothing to load: give --nppes FILE, --nppes-weekly FILE or --order-referring FILE"),
    ],
)  # fmt: skip
def test_load_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    paths = {
        "nppes": str(write_nppes(tmp_path / "npidata.csv", [ORG])),
        "order_referring": str(write_order_referring(tmp_path / "or.csv", [])),
    }
    argv = [a.format(**paths) for a in arguments]
    assert main(["registries", "load", *argv, "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(**paths)) and err.count("\n") == 1
