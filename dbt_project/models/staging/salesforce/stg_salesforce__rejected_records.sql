{#- What the salesforce sync quarantined (ingest/quarantine.py); see macros/rejected_records.sql. -#}
{{ staged_rejected_records('salesforce') }}
