"""Segment sets: a video's bulk analysis output as a few compact documents (`segment_sets`).

One document per (video, stage, kind) - several "chunks" when the compressed payload would
pass ~8 MB - with `video_id`, `stage`, `kind` (indexed), `count` and `format` at the top and
the items in one BSON Binary: segments as compact JSON rows compressed with zlib; search
passages the same, plus their vectors as raw little-endian float32 in a second Binary (the
exact values). FerretDB spends about a millisecond of server CPU per document it returns,
most of it per field value: 300 segments cost ~200 ms as 300 documents and ~8 ms as one
document holding one Binary.

`_id`s are deterministic (`video/stage/kind/chunk`), so a re-write replaces in place; each
write stamps a new `gen` on its chunks, and a reader only decodes a set whose chunks
0..chunks-1 all carry one gen (a multi-chunk set half rewritten is read again).

The old layout - one document per segment or passage in `segments` - is still read for a
(video, kind) that has no set; `migrate_segment_sets` converts it. Summaries stay in
`segments` (core.repositories.summaries). Used by SegmentRepository and PassageRepository:
sync in worker processes and the migration, async in the GUI and CLI; this module does no I/O
except `migrate_segment_sets` (sync, one thread).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import structlog
from bson.binary import Binary
from pymongo import ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database as SyncDatabase

from core.models.ids import new_id
from core.models.segment import Box, TextSegment, Word
from core.models.passage import DIM, Passage

log = structlog.get_logger(__name__)

COLLECTION = "segment_sets"
OLD_COLLECTION = "segments"  # the old layout; summaries still live there
SEGMENT_SETS_MARK = "segments.sets"  # in `migrations`: every old-layout segment was converted
SEGMENTS_FORMAT = "json+zlib/1"
PASSAGES_FORMAT = "json+zlib+f32le/1"  # `vectors`: count x DIM little-endian float32
PASSAGE_KIND = "passage"
SUMMARY_KINDS = ("summary", "commentary")  # core.repositories.summaries, never in a set
MAX_CHUNK_BYTES = 8 * 1024 * 1024
READ_ATTEMPTS = 5  # a set caught mid-rewrite (only multi-chunk sets) is read again
RETRY_DELAY_S = 0.05

T = TypeVar("T")
Doc = dict[str, Any]
SetKey = tuple[str, str]  # (stage, kind)


class SetBeingRewrittenError(RuntimeError):
    """A multi-chunk set was caught half rewritten on every attempt."""


def set_id(video_id: str, stage: str, kind: str, chunk: int) -> str:
    return f"{video_id}/{stage}/{kind}/{chunk}"


# -- codec ------------------------------------------------------------------------------------

def _pack(rows: Sequence[Any]) -> bytes:
    # Level 1: a fifth of level 6's time for ~15 % more bytes (500 transcript lines: ~130 KB).
    return zlib.compress(json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 1)


def _unpack(doc: Doc) -> list[Any]:
    rows = json.loads(zlib.decompress(bytes(doc["payload"])).decode("utf-8"))
    if not isinstance(rows, list) or len(rows) != int(doc["count"]):
        raise ValueError(f"segment set {doc['_id']} holds {len(rows)} items, its count says {doc['count']}")
    return rows


def _split(items: Sequence[T], pack: Callable[[Sequence[T]], bytes],
           extra: int = 0) -> list[tuple[Sequence[T], bytes]]:
    """Cut `items` into runs whose packed size (+ `extra` bytes per item) stays under
    MAX_CHUNK_BYTES (a single item may not); each run with its packed payload."""
    packed = pack(items)
    if len(items) <= 1 or len(packed) + extra * len(items) <= MAX_CHUNK_BYTES:
        return [(items, packed)]
    half = len(items) // 2
    return _split(items[:half], pack, extra) + _split(items[half:], pack, extra)


def _segment_row(s: TextSegment) -> list[Any]:
    row = [s.id, s.start_s, s.end_s, s.text, s.stage, s.version, s.language, s.confidence,
           [[w.text, w.start_s, w.end_s, w.probability] for w in s.words],
           [[b.x, b.y, b.w, b.h, b.score] for b in s.boxes], s.image_path]
    extra = {"speaker": s.speaker} if s.speaker is not None else {}
    return [*row, extra] if extra else row  # rows without the optional 12th item read as before


def _segment(video_id: str, kind: str, row: list[Any]) -> TextSegment:
    # The same conversions as TextSegment.from_doc, so both layouts give equal models.
    seg_id, start_s, end_s, text, stage, version, language, confidence, words, boxes, image_path = row[:11]
    extra: dict[str, Any] = row[11] if len(row) > 11 else {}
    return TextSegment(id=seg_id, video_id=video_id, kind=kind, start_s=float(start_s), end_s=float(end_s),
                       text=text, stage=stage, version=int(version or 0), language=language,
                       confidence=float(confidence),
                       words=[Word(w[0], float(w[1]), float(w[2]), float(w[3])) for w in words],
                       boxes=[Box(int(b[0]), int(b[1]), int(b[2]), int(b[3]), float(b[4])) for b in boxes],
                       image_path=image_path, speaker=extra.get("speaker"))


def _set_docs(video_id: str, stage: str, kind: str, fmt: str, parts: list[tuple[int, Binary, Doc]]) -> list[Doc]:
    gen = new_id()
    return [{"_id": set_id(video_id, stage, kind, i), "video_id": video_id, "stage": stage, "kind": kind,
             "chunk": i, "chunks": len(parts), "gen": gen, "count": count, "format": fmt, "payload": payload,
             **extra} for i, (count, payload, extra) in enumerate(parts)]


def encode_segments(video_id: str, stage: str, segments: Iterable[TextSegment]) -> list[Doc]:
    """The set documents of one stage's segments: one set per kind, in the order given."""
    by_kind: dict[str, list[list[Any]]] = {}
    for s in segments:
        by_kind.setdefault(s.kind, []).append(_segment_row(s))
    docs: list[Doc] = []
    for kind, rows in by_kind.items():
        runs = _split(rows, _pack)
        docs += _set_docs(video_id, stage, kind, SEGMENTS_FORMAT, [(len(r), Binary(p), {}) for r, p in runs])
    return docs


def encode_passages(video_id: str, stage: str, version: int, passages: Sequence[Passage]) -> list[Doc]:
    """The set documents of a video's search passages (none for none)."""
    if not passages:
        return []

    def vectors(run: Sequence[Passage]) -> bytes:
        return np.stack([np.asarray(p.vector, dtype="<f4").reshape(DIM) for p in run]).tobytes()

    def rows(run: Sequence[Passage]) -> bytes:
        return _pack([[p.id, p.modality, p.unit, p.start_s, p.end_s, p.text] for p in run])

    runs = _split(passages, rows, DIM * 4)
    parts = [(len(r), Binary(p), {"version": version, "vectors": Binary(vectors(r))}) for r, p in runs]
    return _set_docs(video_id, stage, PASSAGE_KIND, PASSAGES_FORMAT, parts)


def decode_segments(chunks: list[Doc]) -> list[TextSegment]:
    """The segments of one set (its chunks in order), in the order they were written."""
    out: list[TextSegment] = []
    for doc in chunks:
        _check_format(doc, SEGMENTS_FORMAT)
        out += [_segment(str(doc["video_id"]), str(doc["kind"]), row) for row in _unpack(doc)]
    return out


def decode_passages(chunks: list[Doc]) -> list[Passage]:
    """The passages of one set (its chunks in order), vectors bit-exact."""
    out: list[Passage] = []
    for doc in chunks:
        _check_format(doc, PASSAGES_FORMAT)
        rows = _unpack(doc)
        raw = bytes(doc["vectors"])
        if len(raw) != len(rows) * DIM * 4:
            raise ValueError(f"segment set {doc['_id']} holds {len(raw)} vector bytes for {len(rows)} passages")
        vectors = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(len(rows), DIM)
        out += [Passage(id=str(r[0]), video_id=str(doc["video_id"]), modality=str(r[1]), unit=str(r[2]),
                        start_s=float(r[3]), end_s=float(r[4]), text=str(r[5]), vector=vectors[i])
                for i, r in enumerate(rows)]
    return out


def _check_format(doc: Doc, expected: str) -> None:
    if doc.get("format") != expected:
        raise ValueError(f"segment set {doc['_id']} has format {doc.get('format')!r}; this version reads {expected!r}")


def passage_from_old_doc(doc: Doc) -> Passage:
    """A passage stored in the old layout (one `segments` document, embedding as Binary)."""
    vector = np.frombuffer(bytes(doc["embedding"]), dtype="<f4").astype(np.float32)
    if vector.shape != (DIM,):
        raise ValueError(f"passage {doc['_id']} has a {vector.shape[0]}-d embedding, expected {DIM}")
    return Passage(id=str(doc["_id"]), video_id=str(doc["video_id"]), modality=str(doc["modality"]),
                   unit=str(doc["unit"]), start_s=float(doc["start_s"]), end_s=float(doc["end_s"]),
                   text=str(doc["text"]), vector=vector)


def complete_sets(docs: Iterable[Doc]) -> dict[SetKey, list[Doc]] | None:
    """Group set documents by (stage, kind), chunks in order; None if one is half rewritten."""
    groups: dict[SetKey, list[Doc]] = {}
    for doc in docs:
        groups.setdefault((str(doc["stage"]), str(doc["kind"])), []).append(doc)
    out: dict[SetKey, list[Doc]] = {}
    for key, chunks in groups.items():
        head = next((d for d in chunks if int(d["chunk"]) == 0), None)
        if head is None:
            return None
        own = sorted((d for d in chunks if d["gen"] == head["gen"]), key=lambda d: int(d["chunk"]))
        if [int(d["chunk"]) for d in own] != list(range(int(head["chunks"]))):
            return None
        out[key] = own
    return out


def segment_sets_query(video_id: str, kind: str | None) -> Doc:
    return {"video_id": video_id, "kind": kind if kind else {"$ne": PASSAGE_KIND}}


def old_segments_query(video_id: str, kind: str | None, covered: Iterable[str]) -> Doc | None:
    """The old-layout documents still to read: kinds that have no set yet (None: nothing)."""
    covered = set(covered)
    if kind:
        return None if kind in covered else {"video_id": video_id, "kind": kind}
    return {"video_id": video_id, "kind": {"$nin": sorted(covered | {PASSAGE_KIND, *SUMMARY_KINDS})}}


def write_sets(coll: Collection[Doc], docs: list[Doc], scope: Doc) -> None:
    """Put `docs` in place (by _id) and remove the other sets `scope` selects (sync)."""
    if docs:
        coll.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=True)
    coll.delete_many({**scope, "_id": {"$nin": [d["_id"] for d in docs]}})


def delete_by_ids(coll: Collection[Doc], ids: Sequence[Any]) -> int:
    deleted = 0
    for i in range(0, len(ids), 1000):  # the embedded FerretDB answers $in of up to 1,000 from its index
        deleted += coll.delete_many({"_id": {"$in": list(ids[i:i + 1000])}}).deleted_count
    return deleted


# -- migration --------------------------------------------------------------------------------

@dataclass
class MigrationReport:
    """What `migrate_segment_sets` did: videos looked at, converted, old documents removed."""

    videos: int = 0
    migrated: int = 0
    documents: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # video_id -> why its old documents stay


def migrate_segment_sets(db: SyncDatabase[Doc], progress: Callable[[int, int], None]) -> MigrationReport:
    """Convert every old-layout segment and passage into sets, video by video (sync).

    For each video: write the sets its old documents make, read them back and compare, and
    only then delete those old documents. A (video, stage, kind) that already has a set keeps
    it (a newer write, or an earlier run of this that stopped before deleting); its old
    documents go. Idempotent and resumable; a video that fails keeps its old documents (reads
    still fall back to them) and is named in the report. `progress(done, total)` after each video.
    """
    old, sets = db[OLD_COLLECTION], db[COLLECTION]
    report = MigrationReport()
    queue = [str(d["_id"]) for d in db["videos"].find({}, {"_id": 1})]
    seen: set[str] = set()
    total = len(queue)
    progress(0, total)
    while True:
        if not queue:  # old documents of videos no longer in `videos` (a delete that stopped half way)
            stray = old.find_one({"kind": {"$nin": list(SUMMARY_KINDS)}, "video_id": {"$nin": sorted(seen)}},
                                 {"video_id": 1})
            if stray is None:
                break
            queue.append(str(stray["video_id"]))
            total += 1
        video_id = queue.pop(0)
        seen.add(video_id)
        try:
            removed = _migrate_video(old, sets, video_id)
        except Exception as exc:  # noqa: BLE001 - one bad video must not stop the rest; it keeps its data
            report.failed[video_id] = f"{type(exc).__name__}: {exc}"
            log.warning("segment_sets_migration_failed", video_id=video_id, error=str(exc))
            removed = None
        report.videos += 1
        if removed:
            report.migrated += 1
            report.documents += removed
        progress(report.videos, total)
    log.info("segment_sets_migrated", videos=report.videos, migrated=report.migrated,
             documents=report.documents, failed=len(report.failed))
    return report


def _migrate_video(old: Collection[Doc], sets: Collection[Doc], video_id: str) -> int:
    """Migrate one video's old documents; return how many were removed."""
    docs = old.find({"video_id": video_id, "kind": {"$nin": list(SUMMARY_KINDS)}}).to_list(None)
    if not docs:
        return 0
    groups: dict[SetKey, list[Doc]] = {}
    for doc in docs:
        groups.setdefault((str(doc.get("stage") or ""), str(doc["kind"])), []).append(doc)
    existing = complete_sets(sets.find({"video_id": video_id}).to_list(None))
    if existing is None:
        raise SetBeingRewrittenError(f"a set of video {video_id} is being rewritten")
    # A kind that has a set this migration did not write was rewritten since: reads already
    # show only that set, so the old documents of that kind are superseded.
    rewritten = {kind for (_, kind), chunks in existing.items() if not chunks[0].get("migrated")}
    todo = {key: group for key, group in groups.items() if key not in existing and key[1] not in rewritten}
    new_docs: list[Doc] = []
    for (stage, kind), group in todo.items():
        if kind == PASSAGE_KIND:
            passages = [passage_from_old_doc(d) for d in group]
            new_docs += encode_passages(video_id, stage, int(group[0].get("version") or 0), passages)
        else:
            new_docs += encode_segments(video_id, stage, [TextSegment.from_doc(d) for d in group])
    for doc in new_docs:
        doc["migrated"] = True
    if new_docs:
        sets.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in new_docs], ordered=True)
        written = complete_sets(sets.find({"_id": {"$in": [d["_id"] for d in new_docs]}}).to_list(None)) or {}
        for key, group in todo.items():
            if not _same(key[1], group, written.get(key)):
                delete_by_ids(sets, [d["_id"] for d in new_docs])
                raise ValueError(f"set {key[0]}/{key[1]} of video {video_id} read back differently; old documents kept")
    removed = delete_by_ids(old, [d["_id"] for d in docs])
    log.info("segment_sets_video_migrated", video_id=video_id, sets=len(todo), superseded=len(groups) - len(todo),
             documents=removed)
    return removed


def _same(kind: str, old_docs: list[Doc], chunks: list[Doc] | None) -> bool:
    if chunks is None:
        return False
    if kind == PASSAGE_KIND:
        before, after = [passage_from_old_doc(d) for d in old_docs], decode_passages(chunks)
        return len(before) == len(after) and all(
            (a.id, a.video_id, a.modality, a.unit, a.start_s, a.end_s, a.text, a.vector.dtype, a.vector.tobytes())
            == (b.id, b.video_id, b.modality, b.unit, b.start_s, b.end_s, b.text, b.vector.dtype, b.vector.tobytes())
            for a, b in zip(before, after, strict=True))
    return [TextSegment.from_doc(d) for d in old_docs] == decode_segments(chunks)
