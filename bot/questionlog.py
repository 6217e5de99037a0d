"""SQLite question log (stub: being implemented; see the issue on the curation loop)."""
