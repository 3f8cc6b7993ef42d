{#- What the hubspot sync quarantined (ingest/quarantine.py); see macros/rejected_records.sql. -#}
{{ staged_rejected_records('hubspot') }}
