"""Insights: response metrics, charts and the maturity assessment."""
