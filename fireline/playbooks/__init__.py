"""Playbooks: response steps per incident type, run as the incident's tasks."""
