"""Turns files into Documents: extractors per format, metadata inference, the ingestion pipeline."""
