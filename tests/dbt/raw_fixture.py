"""The raw layer of docs/raw-layer.md as empty DuckDB tables, plus a row inserter (for tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

TS = "TIMESTAMP WITH TIME ZONE"

# schema -> table -> [(column, type)], exactly the raw layer's names and types.
RAW_TABLES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "raw_salesforce": {
        "user": [
            ("id", "VARCHAR"), ("name", "VARCHAR"), ("email", "VARCHAR"), ("is_active", "BOOLEAN"),
            ("system_modstamp", TS),
        ],
        "account": [
            ("id", "VARCHAR"), ("name", "VARCHAR"), ("type", "VARCHAR"), ("owner_id", "VARCHAR"),
            ("parent_id", "VARCHAR"), ("visit_cadence_days_c", "DOUBLE"), ("billing_street", "VARCHAR"),
            ("billing_city", "VARCHAR"), ("billing_state", "VARCHAR"), ("billing_postal_code", "VARCHAR"),
            ("npi_c", "VARCHAR"), ("created_date", TS),
            ("system_modstamp", TS), ("is_deleted", "BOOLEAN"),
        ],
        "contact": [
            ("id", "VARCHAR"), ("account_id", "VARCHAR"), ("name", "VARCHAR"), ("first_name", "VARCHAR"),
            ("last_name", "VARCHAR"), ("title", "VARCHAR"), ("npi_c", "VARCHAR"), ("created_date", TS),
            ("system_modstamp", TS), ("is_deleted", "BOOLEAN"),
        ],
        "event": [
            ("id", "VARCHAR"), ("account_id", "VARCHAR"), ("what_id", "VARCHAR"), ("owner_id", "VARCHAR"),
            ("type", "VARCHAR"), ("subject", "VARCHAR"), ("activity_date", "DATE"),
            ("start_date_time", TS), ("created_date", TS), ("system_modstamp", TS),
            ("is_deleted", "BOOLEAN"), ("who_id", "VARCHAR"),
        ],
        "event_relation": [
            ("id", "VARCHAR"), ("event_id", "VARCHAR"), ("relation_id", "VARCHAR"), ("is_invitee", "BOOLEAN"),
            ("is_parent", "BOOLEAN"), ("is_what", "BOOLEAN"), ("created_date", TS), ("system_modstamp", TS),
            ("is_deleted", "BOOLEAN"),
        ],
        "task": [
            ("id", "VARCHAR"), ("account_id", "VARCHAR"), ("what_id", "VARCHAR"), ("owner_id", "VARCHAR"),
            ("type", "VARCHAR"), ("subject", "VARCHAR"), ("status", "VARCHAR"), ("priority", "VARCHAR"),
            ("activity_date", "DATE"), ("is_closed", "BOOLEAN"), ("description", "VARCHAR"),
            ("cadence_task_key_c", "VARCHAR"), ("created_date", TS), ("system_modstamp", TS),
            ("is_deleted", "BOOLEAN"),
        ],
        "opportunity": [
            ("id", "VARCHAR"), ("account_id", "VARCHAR"), ("name", "VARCHAR"), ("stage_name", "VARCHAR"),
            ("created_date", TS), ("system_modstamp", TS), ("is_deleted", "BOOLEAN"),
        ],
        "opportunity_contact_role": [
            ("id", "VARCHAR"), ("opportunity_id", "VARCHAR"), ("contact_id", "VARCHAR"), ("role", "VARCHAR"),
            ("is_primary", "BOOLEAN"), ("created_date", TS), ("system_modstamp", TS),
            ("is_deleted", "BOOLEAN"),
        ],
    },
    "raw_hubspot": {
        "owners": [
            ("id", "VARCHAR"), ("email", "VARCHAR"), ("first_name", "VARCHAR"), ("last_name", "VARCHAR"),
            ("archived", "BOOLEAN"), ("updated_at", TS),
        ],
        "companies": [
            ("id", "VARCHAR"), ("name", "VARCHAR"), ("lifecyclestage", "VARCHAR"),
            ("hubspot_owner_id", "VARCHAR"), ("visit_cadence_days", "DOUBLE"), ("address", "VARCHAR"),
            ("zip", "VARCHAR"), ("npi", "VARCHAR"), ("createdate", TS),
            ("hs_lastmodifieddate", TS), ("archived", "BOOLEAN"),
        ],
        "contacts": [
            ("id", "VARCHAR"), ("firstname", "VARCHAR"), ("lastname", "VARCHAR"), ("jobtitle", "VARCHAR"),
            ("email", "VARCHAR"), ("npi", "VARCHAR"), ("createdate", TS), ("hs_lastmodifieddate", TS),
            ("archived", "BOOLEAN"), ("company_ids", "VARCHAR"),
        ],
        "meetings": [
            ("id", "VARCHAR"), ("hs_meeting_title", "VARCHAR"), ("hs_meeting_start_time", TS),
            ("hs_timestamp", TS), ("hs_meeting_outcome", "VARCHAR"), ("hubspot_owner_id", "VARCHAR"),
            ("hs_createdate", TS), ("hs_lastmodifieddate", TS), ("archived", "BOOLEAN"),
            ("company_ids", "VARCHAR"), ("contact_ids", "VARCHAR"),
        ],
        "tasks": [
            ("id", "VARCHAR"), ("hs_task_subject", "VARCHAR"), ("hs_task_body", "VARCHAR"),
            ("hs_task_status", "VARCHAR"), ("hs_task_priority", "VARCHAR"), ("hs_timestamp", TS),
            ("hubspot_owner_id", "VARCHAR"), ("cadence_task_key", "VARCHAR"), ("hs_createdate", TS),
            ("hs_lastmodifieddate", TS), ("archived", "BOOLEAN"), ("company_ids", "VARCHAR"),
        ],
        "deals": [
            ("id", "VARCHAR"), ("dealname", "VARCHAR"), ("dealstage", "VARCHAR"), ("createdate", TS),
            ("hs_lastmodifieddate", TS), ("archived", "BOOLEAN"), ("company_ids", "VARCHAR"),
            ("contact_ids", "VARCHAR"),
        ],
    },
}


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create both raw schemas and every raw table (empty), with the raw layer's column types."""
    for schema, tables in RAW_TABLES.items():
        con.execute(f'create schema if not exists "{schema}"')
        for table, columns in tables.items():
            column_sql = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
            con.execute(f'create table if not exists "{schema}"."{table}" ({column_sql})')


def insert_rows(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert dict rows; missing columns are null. Values are cast to the column types by DuckDB
    (ISO strings for dates/timestamps are fine)."""
    known = [name for name, _ in RAW_TABLES[schema][table]]
    for row in rows:
        unknown = set(row) - set(known)
        if unknown:
            raise KeyError(f"{schema}.{table} has no column(s) {sorted(unknown)}")
        columns = [name for name in known if name in row]
        placeholders = ", ".join("?" for _ in columns)
        column_sql = ", ".join(f'"{name}"' for name in columns)
        con.execute(
            f'insert into "{schema}"."{table}" ({column_sql}) values ({placeholders})',
            [row[name] for name in columns],
        )
