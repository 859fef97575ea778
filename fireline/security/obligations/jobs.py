"""Obligation reminders and escalations, run by the jobs worker."""
