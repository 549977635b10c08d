"""The parts of the demo corpus builder, one module per job.

``source`` reads ``src/*.md``; ``pdf``, ``office``, ``web`` and ``text`` render a source into its
format; ``checks`` extracts every generated file again and verifies it; ``expected`` writes
``expected.toml``. ``corpus/build.py`` runs them in that order.
"""
