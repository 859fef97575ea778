"""Stakeholder updates: internal news of an incident for its followers and the
plan's audiences, on the cadence the plan sets per severity."""
