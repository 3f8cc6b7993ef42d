"""`cadence doctor`: read-only readiness checks of the configured CRMs, like `dbt debug`.

`salesforce.py` and `hubspot.py` hold each CRM's checks, `picklists.py` the CRM-neutral comparison
of the rules with an org's picklists, `report.py` the report type, `projection.py` the optional dry
run, `run.py` runs them all and `cli.py` is the subcommand. Nothing here does work at import.
"""
