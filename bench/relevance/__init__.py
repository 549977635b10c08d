"""Relevance evaluation: judged French queries over the demo corpus and the shared real
documents, the project's search against a plain Whoosh baseline (``python -m bench.relevance``)."""
