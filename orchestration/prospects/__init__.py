"""Prospects into the CRM (issue 15 item 5): each month the top registry candidates of each rep
(marts.new_provider_candidates) become prospect accounts owned by the rep, with the location's referrers
as contacts; through the task writeback's ledger and algorithm (orchestration/writeback/run.py)."""
