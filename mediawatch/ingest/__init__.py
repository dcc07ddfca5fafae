"""Ingest stage: where articles come from (local files now; feeds later)."""
