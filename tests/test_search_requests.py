"""The core refuses an invalid search request with a French reason (QueryError), whichever
shell builds it; the shells map that error to their own output once."""

from __future__ import annotations

import pytest

from kb.errors import QueryError
from kb.model import MAX_PAGE_SIZE, SearchRequest


@pytest.mark.parametrize(("fields", "reason"), [
    ({"page": 0}, "page invalide"),
    ({"page": -3}, "page invalide"),
    ({"page_size": 0}, "nombre de résultats par page invalide"),
    ({"page_size": MAX_PAGE_SIZE + 1}, "nombre de résultats par page invalide"),
    ({"sort": "popularité"}, "tri inconnu"),
    ({"filters": {"auteur_inconnu": ("x",)}}, "filtre inconnu : auteur_inconnu"),
])
def test_invalid_requests_are_refused_in_french(fields: dict, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        SearchRequest("habitants", **fields)


def test_valid_requests_are_made() -> None:
    request = SearchRequest("habitants", filters={"themes": ("santé",), "territory": ("Valmont",)}, page=100,
                            page_size=MAX_PAGE_SIZE, sort="added")
    assert request.page == 100 and request.sort == "added"
