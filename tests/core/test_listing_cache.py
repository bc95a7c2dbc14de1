"""This host's copy of a project's listing: pages back as saved; anything else is no copy."""

from __future__ import annotations

import pickle
from pathlib import Path

from core.models import Video
from core.services.listing_cache import PAGE, ListingCache


def videos(project_id: str, n: int) -> list[Video]:
    return [Video(project_id=project_id, path=f"/v/{i}.mp4", fingerprint=f"f{i}", size_bytes=i) for i in range(n)]


def test_pages_come_back_as_saved_and_a_bad_copy_is_no_copy(tmp_path: Path) -> None:
    cache = ListingCache(tmp_path / "cache")
    assert cache.load("p1") == []
    saved = videos("p1", PAGE * 2 + 7)
    cache.save("p1", saved)
    pages = cache.load("p1")
    assert [len(p) for p in pages] == [PAGE, PAGE, 7] and [v for p in pages for v in p] == saved
    assert cache.load("p2") == []
    path = tmp_path / "cache" / "listing-p1.pickle"
    path.write_bytes(path.read_bytes()[:-40])  # cut short (a crash while copying it elsewhere)
    assert cache.load("p1") == []
    with path.open("wb") as f:  # another project's records under this name
        pickle.dump(("vip-listing", 1, "p1"), f)
        pickle.dump(1, f)
        pickle.dump(pickle.dumps(videos("p9", 2)), f)
    assert cache.load("p1") == []
    cache.save("p1", saved[:3])
    assert [v for p in cache.load("p1") for v in p] == saved[:3]
    assert not list((tmp_path / "cache").glob(".*.tmp"))
