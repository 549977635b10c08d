"""Groups of copies and versions (``backend.groups``, kb.kinship): by relevance a group is one
result, by date an exact copy is not listed twice but each edition is; totals, pages and facet
counts follow, and a change of the groups is seen by the next search."""

from __future__ import annotations

from typing import Any

from kb.model import Groups, SearchRequest
from tests.contract.support import NO_GROUPS, Record, found_ids, without_groups


def test_a_group_is_one_result_by_relevance(backend: Any, demo_groups: Groups, records: list[Record]) -> None:
    hidden = len(demo_groups.leaders) - len(set(demo_groups.leaders.values()))
    assert hidden == 2
    everything = found_ids(backend, "")
    assert len(everything) == len(records) - hidden
    titles = {doc.id: doc.title for doc, _ in records}
    for leader in set(demo_groups.leaders.values()):
        members = {i for i, lead in demo_groups.leaders.items() if lead == leader}
        shown = [i for i in found_ids(backend, titles[leader]) if i in members]
        assert shown == [leader], titles[leader]
        with without_groups(backend):
            assert len([i for i in found_ids(backend, titles[leader]) if i in members]) == len(members)


def test_by_date_an_exact_copy_is_listed_once_and_each_edition_apart(backend: Any, demo_groups: Groups,
                                                                     records: list[Record]) -> None:
    copies = len(demo_groups.copies) - len(set(demo_groups.copies.values()))
    assert copies == 1
    by_date = found_ids(backend, "", sort="date")
    assert len(by_date) == len(records) - copies
    versions = [i for i, lead in demo_groups.leaders.items() if i not in demo_groups.copies]
    assert len(versions) == 2 and set(versions) <= set(by_date)


def test_facets_count_a_group_once_for_the_values_its_members_share(backend: Any) -> None:
    # Both groups of the demo corpus are charters; the versions differ in format.
    grouped = {fv.value: fv.count for fv in backend.search(SearchRequest("")).facets["type"]}
    with without_groups(backend):
        whole = {fv.value: fv.count for fv in backend.search(SearchRequest("")).facets["type"]}
    assert grouped["charte"] == whole["charte"] - 2
    assert {k: v for k, v in grouped.items() if k != "charte"} == {k: v for k, v in whole.items() if k != "charte"}
    assert sum(grouped.values()) == backend.search(SearchRequest("")).total


def test_a_change_of_groups_is_seen_by_the_next_search(fresh: Any, records: list[Record]) -> None:
    sheets = found_ids(fresh, "participation des habitants", filters={"type": ("fiche d'expérience",)})
    first, second = sheets[0], sheets[1]
    fresh.groups = lambda: Groups(7, {first: first, second: first}, {})
    page = fresh.search(SearchRequest("participation des habitants", filters={"type": ("fiche d'expérience",)}))
    assert page.total == len(sheets) - 1 and second not in {h.id for h in page.hits}
    assert {fv.value: fv.count for fv in page.facets["type"]}["fiche d'expérience"] == page.total
    # Put the other way round, the second leads the group; then no groups at all.
    fresh.groups = lambda: Groups(8, {first: second, second: second}, {})
    shown = found_ids(fresh, "participation des habitants", filters={"type": ("fiche d'expérience",)})
    assert second in shown and first not in shown
    fresh.groups = lambda: NO_GROUPS
    assert found_ids(fresh, "participation des habitants", filters={"type": ("fiche d'expérience",)}) == sheets


def test_a_group_is_shown_by_its_leader_on_every_page(fresh: Any, records: list[Record]) -> None:
    # The empty query lists documents in the order they were put: the member 21st, the leader
    # further down, so the member ends page 3 of 7 and the leader comes after it.
    member, leader = records[20][0].id, records[30][0].id
    fresh.groups = lambda: Groups(9, {member: leader, leader: leader}, {})
    full = found_ids(fresh, "")
    assert leader in full and member not in full
    pages = range(1, -(-len(full) // 7) + 1)
    paged = [h.id for n in pages for h in fresh.search(SearchRequest("", page=n, page_size=7)).hits]
    assert len(paged) == len(full)
    assert paged == full
