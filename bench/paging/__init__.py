"""Paging benchmarks: alert to e-mail, and escalation timers under load (see run.py)."""
