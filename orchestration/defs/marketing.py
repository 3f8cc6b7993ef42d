"""Marketing's list each night (issue 15 item 6): once marts.marketing_top_accounts is built, its CSV and
Parquet files are written beside the warehouse (exports/marketing; a PostgreSQL warehouse: in the working
directory), as `cadence export marketing` does.
Local files only, no CRM call: a dry run writes them too (they preview nothing the CRM would get)."""

import dagster as dg

from orchestration.defs.keys import model_key
from orchestration.resources import WarehouseResource


@dg.asset(
    deps=[model_key("marketing_top_accounts")],
    group_name="report",
    pool="warehouse",
    kinds={"csv", "parquet"},
)
def marketing_export(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Per rep, the top accounts and registry candidates by potential, as CSV and Parquet files."""
    from orchestration.marketing import default_export_folder, export_marketing  # pyarrow: at run time

    export = export_marketing(warehouse.location, default_export_folder(warehouse.location))
    context.log.info(export.describe())
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(export.folder)),
            "territories": export.territories,
            "rows": export.rows,
        }
    )


defs = dg.Definitions(assets=[marketing_export])
