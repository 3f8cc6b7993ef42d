"""The run's defaults, each stated once: the settings, the Dagster resources, the in-process run, the
quality suites and the CLI's help all read them from here.

It imports nothing, so the CLI can show them in `--help` before any slow import (dlt, Dagster).
"""

# Most task creates + closes per CRM and run: a larger writeback stops before any write.
MAX_TASKS_PER_RUN = 500
WAREHOUSE = "var/warehouse.duckdb"  # the DuckDB file, relative to the working directory
# Every incremental read starts this long before the saved cursor (= ingest.cursor.DEFAULT_LOOKBACK_SECONDS).
LOOKBACK_SECONDS = 300.0
# Share of the CRM's remaining daily API allowance a run leaves for the org's other integrations.
API_BUDGET_RESERVE = 0.2
# Days between key scans (ids only) of the objects other than accounts/companies (those: nightly): how
# long a record purged unseen can stay in the warehouse (= ingest.key_scan.DEFAULT_KEY_SCAN_DAYS).
KEY_SCAN_DAYS = 7.0
