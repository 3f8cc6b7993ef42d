"""The run's defaults, each stated once: the settings, the Dagster resources, the in-process run, the
quality suites and the CLI's help all read them from here.

It imports nothing, so the CLI can show them in `--help` before any slow import (dlt, Dagster).
"""

# Most task creates + closes per CRM and run: a larger writeback stops before any write.
MAX_TASKS_PER_RUN = 500
WAREHOUSE = "var/warehouse.duckdb"  # the DuckDB file, relative to the working directory
