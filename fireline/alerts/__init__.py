"""Alerts: ingestion from monitoring, deduplication, grouping, routing and silences."""
