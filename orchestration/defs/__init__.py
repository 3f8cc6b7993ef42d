"""Dagster definitions, split by integration (dlt ingest, dbt models, CRM writeback, the job)."""
