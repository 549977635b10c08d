"""Benchmarks and relevance evaluation: reproducible commands that print tables and JSON."""
