"""The Passerelles demo corpus. In the source checkout: its sources (``src/``), its builder
(``python -m corpus.build``) and its results. An installed copy carries ``documents/`` only, as
package data, so that ``kb serve --demo`` finds it there too (``webui.commands``)."""
