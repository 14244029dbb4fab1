"""The error ingest raises for content it cannot index (imported by every caller that reports it)."""


class IngestError(ValueError):
    """Content that cannot be ingested; the message names the file and what to fix."""
