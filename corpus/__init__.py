"""The Passerelles demo corpus: its sources, its builder (``python -m corpus.build``), its results."""
