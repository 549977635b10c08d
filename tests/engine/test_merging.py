"""The tiered merge policy: which segments a commit merges, and that a base written in many
batches keeps few segments while every document stays findable."""

from __future__ import annotations

from pathlib import Path

from whoosh import fields
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage

from kb.whoosh_backend import merging


def test_tiers_grow_by_the_factor() -> None:
    f, small = merging.FACTOR, merging.SMALLEST
    assert merging.tier(1) == merging.tier(small) == merging.tier(small * f - 1) == 0
    assert merging.tier(small * f) == merging.tier(small * f * f - 1) == 1
    assert merging.tier(small * f * f) == 2


def test_a_tier_is_merged_once_it_holds_factor_segments() -> None:
    f = merging.FACTOR
    batch = 5000
    assert merging.to_merge([batch] * (f - 1)) == []
    assert merging.to_merge([batch] * f) == list(range(f))
    # A large segment and a full lower tier: only the lower tier is merged.
    big = batch * f
    assert merging.to_merge([big] + [batch] * f) == list(range(1, f + 1))
    # The lowest full tier goes first.
    assert merging.to_merge([big] * f + [batch] * f) == list(range(f, 2 * f))


def test_segments_stay_few_over_many_commits(tmp_path: Path) -> None:
    """Forty commits of small batches with the policy: the count stays under FACTOR per tier,
    where Whoosh's default policy kept one segment per batch of this size."""
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=fields.TEXT)
    ix = FileStorage(str(tmp_path), supports_mmap=False).create_index(schema, indexname="t")
    old, merging.SMALLEST = merging.SMALLEST, 5  # small batches stand for large ones
    try:
        for commit in range(40):
            w = ix.writer(codec=whoosh3.W3Codec(compression=0))
            for n in range(commit * 6, commit * 6 + 6):
                w.add_document(id=str(n), body=f"mot commun numero{n}")
            w.commit(mergetype=merging.tiered)
            tiers = [merging.tier(s.doc_count_all()) for s in ix._segments()]
            # The policy sees the segments before the new one: a tier may reach FACTOR, never more.
            assert max(tiers.count(t) for t in set(tiers)) <= merging.FACTOR
    finally:
        merging.SMALLEST = old
    with ix.searcher() as s:
        assert len(s.leaf_searchers()) < 2 * merging.FACTOR
        assert s.doc_count() == 240
        assert {s.stored_fields(d)["id"] for d in range(s.doc_count_all())} == {str(n) for n in range(240)}
        assert len(list(s.documents(body="commun"))) == 240
