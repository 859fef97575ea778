"""The alert ingestion benchmark: ``python -m bench.ingest`` (see run.py)."""
