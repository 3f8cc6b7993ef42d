"""The asset keys assets wait on: an asset names its upstream by key, never by importing the module
that defines it (the dbt assets come from dbt's manifest, which only the definitions prepare)."""

from __future__ import annotations

import functools

import dagster as dg

from orchestration.dbt_runner import PROJECT_DIR

SALESFORCE_WRITEBACK = dg.AssetKey("salesforce_task_writeback")
HUBSPOT_WRITEBACK = dg.AssetKey("hubspot_task_writeback")
WRITEBACKS = (SALESFORCE_WRITEBACK, HUBSPOT_WRITEBACK)
KPI_SNAPSHOT = dg.AssetKey("rep_kpi_snapshot")  # the report charts the snapshot the night just took


@functools.cache
def model_key(model: str) -> dg.AssetKey:
    """A dbt model's key as dagster-dbt's default translator names it: [its configured schema, name].
    dbt_project.yml sets `+schema` to the name of each folder under models/ (staging, intermediate,
    marts), so the folder holding the model's file is its schema (tests check it against the manifest)."""
    models = PROJECT_DIR / "models"
    found = sorted(models.glob(f"**/{model}.sql"))
    if not found:
        raise KeyError(f"no dbt model {model!r} under {models}")
    return dg.AssetKey([found[0].relative_to(models).parts[0], model])
