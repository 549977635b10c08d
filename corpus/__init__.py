"""The demo corpus of Passerelles: ``documents/`` ships as package data, so that ``kb serve
--demo`` finds it in an installed copy as in the source checkout (``webui.commands``)."""
