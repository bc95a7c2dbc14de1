"""Segment sets (one compact document per video, stage and kind) against the real FerretDB.

Covers the repositories' reads and writes in the new layout, their fallback to the old
one-document-per-segment layout, and `migrate_segment_sets` on a database built with raw
inserts shaped exactly like the documents the previous release wrote.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from core.models.segment import Box, TextSegment, Word
from core.repositories import (
    AsyncPassageRepository,
    AsyncSegmentRepository,
    DatabaseAddress,
    PassageRepository,
    SegmentRepository,
    connect_async,
    migrate_segment_sets,
)
from core.repositories import segment_sets as sets
from core.models.passage import DIM, Passage


def speech(video_id: str, n: int, stage: str = "speech") -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="speech", start_s=i * 2.5 + 0.1, end_s=i * 2.5 + 2.3,
                        text=f"line {i} ünïcode “quotes”", stage=stage, version=3, language="en", confidence=0.87,
                        words=[Word(f"w{j}", i * 2.5 + j * 0.1, i * 2.5 + j * 0.1 + 0.05, 0.5 + j / 100)
                               for j in range(14)])
            for i in range(n)]


def on_screen(video_id: str, n: int) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="ocr", start_s=float(i), end_s=i + 1.0, text=f"INVOICE {i}",
                        stage="ocr", version=1, confidence=0.5,
                        boxes=[Box(10 * i, 20, 300, 40, 0.9), Box(5, 6, 7, 8)]) for i in range(n)]


def faces(video_id: str) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="face", start_s=3.0, end_s=9.0, stage="faces", version=2,
                        boxes=[Box(1, 2, 3, 4, 0.99)], image_path=f"faces/{video_id}/{i}.jpg") for i in range(3)]


def passages(video_id: str, n: int, seed: int = 7) -> list[Passage]:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    vectors[0, :4] = [-0.0, 1e-45, np.finfo(np.float32).max, np.finfo(np.float32).tiny]  # odd but exact values
    return [Passage(id=f"{video_id}-p{i}", video_id=video_id, modality="speech" if i % 3 else "text",
                    unit="line" if i % 2 else "window", start_s=i * 1.5, end_s=i * 1.5 + 4, text=f"passage {i}",
                    vector=vectors[i]) for i in range(n)]


def same_passages(got: list[Passage], want: list[Passage]) -> bool:
    key = lambda p: (p.id, p.video_id, p.modality, p.unit, p.start_s, p.end_s, p.text)  # noqa: E731
    return [key(p) for p in got] == [key(p) for p in want] and all(
        g.vector.dtype == np.float32 and g.vector.tobytes() == w.vector.tobytes() for g, w in zip(got, want, strict=True))


def in_time_order(segments: list[TextSegment]) -> list[TextSegment]:
    return sorted(segments, key=lambda s: (s.start_s, s.end_s))


# -- documents shaped exactly like the previous release's (repositories/segments.py, passages.py)

def old_segment_doc(s: TextSegment) -> dict[str, Any]:
    return {"_id": s.id, "video_id": s.video_id, "kind": s.kind, "start_s": s.start_s, "end_s": s.end_s,
            "text": s.text, "stage": s.stage, "version": s.version, "language": s.language,
            "confidence": s.confidence,
            "words": [{"text": w.text, "start_s": w.start_s, "end_s": w.end_s, "p": w.probability} for w in s.words],
            "boxes": [{"x": b.x, "y": b.y, "w": b.w, "h": b.h, "score": b.score} for b in s.boxes],
            "image_path": s.image_path}


def old_passage_doc(p: Passage, stage: str = "embed", version: int = 1) -> dict[str, Any]:
    from bson.binary import Binary

    return {"_id": p.id, "video_id": p.video_id, "kind": "passage", "stage": stage, "version": version,
            "modality": p.modality, "unit": p.unit, "start_s": p.start_s, "end_s": p.end_s, "text": p.text,
            "embedding": Binary(np.ascontiguousarray(p.vector, dtype="<f4").tobytes())}


def old_summary_docs(video_id: str) -> list[dict[str, Any]]:
    base = {"video_id": video_id, "stage": "summary", "version": 1, "source": "local"}
    return [{**base, "_id": f"{video_id}-s0", "kind": "summary", "unit": "overview", "start_s": 0.0, "end_s": 0.0,
             "text": "What happens", "title": "", "points": []},
            {**base, "_id": f"{video_id}-s1", "kind": "commentary", "unit": "line", "start_s": 4.0, "end_s": 4.0,
             "text": "A remark", "title": ""}]


def async_reads(database: DatabaseAddress, video_id: str, kind: str | None) -> tuple[list[TextSegment], list[Passage]]:
    async def main() -> tuple[list[TextSegment], list[Passage]]:
        client, db = connect_async(database)
        try:
            return (await AsyncSegmentRepository(db).for_video(video_id, kind),
                    await AsyncPassageRepository(db).for_video(video_id))
        finally:
            await client.close()

    return asyncio.run(main())


def test_a_stage_writes_one_set_per_kind_and_both_clients_read_the_same_segments(
        sync_db: Any, database: DatabaseAddress) -> None:
    repo = SegmentRepository(sync_db)
    written = speech("v1", 500)
    repo.replace_for_stage("v1", "speech", list(reversed(written)))
    text = on_screen("v1", 40)
    repo.replace_for_stage("v1", "ocr", text)
    repo.replace_for_stage("v1", "faces", faces("v1"))
    repo.passages.replace_for_video("v1", passages("v1", 100), "embed", 2)

    docs = sync_db[sets.COLLECTION].find({}, {"payload": 0, "vectors": 0}).sort("_id", 1).to_list(None)
    assert [(d["_id"], d["count"], d["format"]) for d in docs] == [
        ("v1/embed/passage/0", 100, "json+zlib+f32le/1"), ("v1/faces/face/0", 3, "json+zlib/1"),
        ("v1/ocr/ocr/0", 40, "json+zlib/1"), ("v1/speech/speech/0", 500, "json+zlib/1")]
    assert sync_db["segments"].count_documents({}) == 0

    assert repo.for_video("v1", "speech") == written
    assert repo.for_video("v1", "ocr") == text
    everything = repo.for_video("v1")
    assert {s.kind for s in everything} == {"speech", "ocr", "face"} and len(everything) == 543
    assert everything == in_time_order(everything)
    got_async, got_passages = async_reads(database, "v1", "speech")
    assert got_async == written
    assert same_passages(got_passages, sorted(passages("v1", 100), key=lambda p: (p.start_s, p.unit, p.id)))
    assert same_passages(repo.passages.for_video("v1"), got_passages)


def test_a_rerun_replaces_only_that_stages_output(sync_db: Any) -> None:
    repo = SegmentRepository(sync_db)
    repo.replace_for_stage("v1", "speech", speech("v1", 10))
    repo.replace_for_stage("v1", "ocr", on_screen("v1", 5))
    again = speech("v1", 3)
    repo.replace_for_stage("v1", "speech", again)
    assert repo.for_video("v1", "speech") == again
    assert len(repo.for_video("v1", "ocr")) == 5
    repo.replace_for_stage("v1", "speech", [])
    assert repo.for_video("v1", "speech") == []
    assert sync_db[sets.COLLECTION].count_documents({"stage": "speech"}) == 0
    repo.passages.replace_for_video("v1", passages("v1", 4), "embed", 1)
    repo.passages.replace_for_video("v1", [], "embed", 1)
    assert repo.passages.for_video("v1") == []


def test_old_layout_documents_are_read_until_replaced_and_deleted_with_the_video(
        sync_db: Any, database: DatabaseAddress) -> None:
    old_speech, old_faces, old_passages = speech("v1", 20), faces("v1"), passages("v1", 6)
    sync_db["segments"].insert_many([old_segment_doc(s) for s in old_speech + old_faces]
                                    + [old_passage_doc(p) for p in old_passages] + old_summary_docs("v1"))
    repo = SegmentRepository(sync_db)
    assert repo.for_video("v1", "speech") == old_speech
    assert {s.kind for s in repo.for_video("v1")} == {"speech", "face"}  # not passages or summaries
    assert same_passages(repo.passages.for_video("v1"), old_passages)

    repo.replace_for_stage("v1", "faces", faces("v1")[:1])  # a set now: the old faces are replaced and gone
    assert [s.image_path for s in repo.for_video("v1", "face")] == ["faces/v1/0.jpg"]
    assert sync_db["segments"].count_documents({"video_id": "v1", "kind": "face"}) == 0
    assert repo.for_video("v1", "speech") == old_speech  # untouched
    assert len(repo.for_video("v1")) == 21
    new_passages = passages("v1", 3, seed=1)
    repo.passages.replace_for_video("v1", new_passages, "embed", 2)
    assert same_passages(repo.passages.for_video("v1"), new_passages)
    assert sync_db["segments"].count_documents({"kind": "passage"}) == 0
    assert repo.summaries.for_video("v1") is not None  # summaries stay where they were

    async def delete() -> None:
        client, db = connect_async(database)
        try:
            await AsyncSegmentRepository(db).delete_for_video("v1")
        finally:
            await client.close()

    asyncio.run(delete())
    assert sync_db["segments"].count_documents({}) == 0 and sync_db[sets.COLLECTION].count_documents({}) == 0


def test_a_set_too_big_for_one_document_is_chunked_and_rewritten_without_leftovers(
        sync_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sets, "MAX_CHUNK_BYTES", 4_000)
    repo = SegmentRepository(sync_db)
    big = speech("v1", 300)
    repo.replace_for_stage("v1", "speech", big)
    chunks = sync_db[sets.COLLECTION].count_documents({"kind": "speech"})
    assert chunks > 2
    assert repo.for_video("v1", "speech") == big
    many = passages("v1", 40)
    repo.passages.replace_for_video("v1", many, "embed", 1)
    assert sync_db[sets.COLLECTION].count_documents({"kind": "passage"}) > 2
    assert same_passages(repo.passages.for_video("v1"), many)

    repo.replace_for_stage("v1", "speech", big[:30])
    assert sync_db[sets.COLLECTION].count_documents({"kind": "speech"}) < chunks
    assert repo.for_video("v1", "speech") == big[:30]


def test_a_set_caught_half_rewritten_is_not_read() -> None:
    first = sets.encode_segments("v1", "speech", speech("v1", 4))
    second = sets.encode_segments("v1", "speech", speech("v1", 4))
    two_chunks = [{**first[0], "chunks": 2}, {**second[0], "_id": "v1/speech/speech/1", "chunk": 1, "chunks": 2}]
    assert sets.complete_sets(two_chunks) is None  # chunk 1 is from another write
    assert sets.complete_sets(first) is not None


def test_migration_converts_an_old_layout_library_and_keeps_nothing_twice(sync_db: Any, database: DatabaseAddress) -> None:
    videos = ["va", "vb", "vc"]
    sync_db["videos"].insert_many([{"_id": v, "project_id": "p1", "path": f"/media/{v}.mp4"} for v in videos])
    truth: dict[str, tuple[list[TextSegment], list[Passage]]] = {}
    for i, v in enumerate([*videos, "gone"]):  # "gone": its video record was deleted, its segments were not
        segs = speech(v, 120 + i) + on_screen(v, 30) + (faces(v) if i % 2 else [])
        found = passages(v, 50 + i, seed=i)
        truth[v] = (segs, found)
        sync_db["segments"].insert_many([old_segment_doc(s) for s in segs] + [old_passage_doc(p) for p in found]
                                        + old_summary_docs(v))
    # "vc" was half migrated by an earlier run (its speech set written, old documents still there),
    # and its on-screen text was re-analysed since (the new set is what counts).
    vc_speech = [s for s in truth["vc"][0] if s.kind == "speech"]
    sync_db[sets.COLLECTION].insert_many([{**d, "migrated": True} for d in sets.encode_segments("vc", "speech", vc_speech)])
    newer_ocr = on_screen("vc", 2)
    sync_db[sets.COLLECTION].insert_many(sets.encode_segments("vc", "ocr", newer_ocr))
    truth["vc"] = ([s for s in truth["vc"][0] if s.kind != "ocr"] + newer_ocr, truth["vc"][1])
    before = {v: (SegmentRepository(sync_db).for_video(v), PassageRepository(sync_db).for_video(v)) for v in truth}

    calls: list[tuple[int, int]] = []
    report = migrate_segment_sets(sync_db, lambda done, total: calls.append((done, total)))

    assert report.failed == {} and report.videos == 4 and report.migrated == 4
    assert calls[0] == (0, 3) and calls[-1] == (4, 4)
    assert report.documents == sum(len(s) + len(p) for s, p in truth.values()) + 28  # vc's 30 old ocr rows
    assert sync_db["segments"].count_documents({"kind": {"$nin": ["summary", "commentary"]}}) == 0
    assert sync_db["segments"].count_documents({}) == 8  # summaries stay
    for v, (segs, found) in truth.items():
        assert SegmentRepository(sync_db).for_video(v) == in_time_order(segs) == before[v][0], v
        got_segments, got_passages = async_reads(database, v, None)
        assert got_segments == before[v][0]
        want = sorted(found, key=lambda p: (p.start_s, p.unit, p.id))
        assert same_passages(got_passages, want) and same_passages(before[v][1], want)
    assert sets.complete_sets(sync_db[sets.COLLECTION].find({}).to_list(None)) is not None

    again = migrate_segment_sets(sync_db, lambda done, total: None)
    assert (again.videos, again.migrated, again.documents, again.failed) == (3, 0, 0, {})


def test_a_video_that_cannot_be_converted_keeps_its_old_documents(sync_db: Any) -> None:
    good, bad = passages("v1", 2), old_passage_doc(passages("v2", 1)[0])
    bad["embedding"] = bad["embedding"][:100]  # a 25-d vector: not something this version can hold
    sync_db["videos"].insert_many([{"_id": "v1"}, {"_id": "v2"}])
    sync_db["segments"].insert_many([old_passage_doc(p) for p in good] + [bad])
    report = migrate_segment_sets(sync_db, lambda done, total: None)
    assert list(report.failed) == ["v2"] and "25-d" in report.failed["v2"]
    assert sync_db["segments"].count_documents({"video_id": "v2"}) == 1
    assert sync_db[sets.COLLECTION].count_documents({"video_id": "v2"}) == 0
    assert same_passages(PassageRepository(sync_db).for_video("v1"), good)
