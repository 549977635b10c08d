"""The Passerelles demo corpus: its sources, its builder (``python -m corpus.build``) and its
results. ``documents/`` ships as package data, so that ``kb serve --demo`` finds it in an installed
copy as in the source checkout (``webui.commands``)."""
