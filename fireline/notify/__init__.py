"""Outbound notifications, delivered by the jobs worker."""
