"""Private parts of whoosh 2.7.5 the backend relies on, one module per concern.

Each module names the Whoosh attributes it reads or sets; ``tests/engine/test_whoosh_internals.py``
fails with the attribute's name when a Whoosh upgrade changes one of them.
"""
