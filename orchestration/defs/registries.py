"""The public registries as assets (issue 15): present when cadence.registry_* names a file, keyed like
the dbt sources (`registries/<table>`) so the registry models wait for them. A file whose size and mtime
are those of its last load into this warehouse is not read again: a 9 GB NPPES file costs nothing on
the nights it did not change."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from orchestration.resources import RegistryFiles, WarehouseResource

NPPES_KEY = dg.AssetKey(["registries", "nppes_providers"])
ORDER_REFERRING_KEY = dg.AssetKey(["registries", "order_referring"])
KINDS = {"nppes": NPPES_KEY, "nppes_weekly": NPPES_KEY, "order_referring": ORDER_REFERRING_KEY}


def registries_definitions(files: RegistryFiles) -> dg.Definitions:
    """The registry asset for the configured files; none when no file is configured."""
    keys = [
        key for key, path in ((NPPES_KEY, files.nppes), (ORDER_REFERRING_KEY, files.order_referring)) if path
    ]
    if not keys:
        return dg.Definitions()

    @dg.multi_asset(
        specs=[dg.AssetSpec(key, group_name="registries", kinds={"duckdb"}) for key in keys],
        name="registry_files",
        pool="warehouse",
    )
    def registry_files(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, registries: RegistryFiles
    ) -> Iterator[dg.MaterializeResult]:
        """Load the configured registry files into raw_registries when they changed since their last load."""
        from orchestration.registries import describe, load_registries

        results = load_registries(
            warehouse.location,
            nppes=Path(registries.nppes) if registries.nppes else None,
            order_referring=Path(registries.order_referring) if registries.order_referring else None,
            only_changed=True,
        )
        loaded = {KINDS[result.kind]: result for result in results}
        for key in keys:
            result = loaded.get(key)
            if result is not None:
                context.log.info(describe(result))
            metadata = {"reloaded": result is not None}
            if result is not None:
                metadata |= {"rows": result.rows, "seconds": round(result.seconds, 1)}
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)

    return dg.Definitions(assets=[registry_files])
