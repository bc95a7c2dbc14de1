"""Video summaries in the `segments` collection: kind "summary" (the overview and one per
chapter) and kind "commentary" (one per line), so each section has a time like any segment."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.ids import new_id
from core.models.summary import Chapter, CommentaryLine, Moment, Summary

KINDS = ("summary", "commentary")


def _docs(video_id: str, summary: Summary, stage: str, version: int) -> list[dict[str, Any]]:
    base = {"video_id": video_id, "stage": stage, "version": version, "source": summary.source}
    docs = [{**base, "_id": new_id(), "kind": "summary", "unit": "overview", "start_s": 0.0, "end_s": 0.0,
             "text": summary.overview, "title": "", "points": [m.to_doc() for m in summary.overview_points]}]
    docs += [{**base, "_id": new_id(), "kind": "summary", "unit": "chapter", "start_s": c.start_s, "end_s": c.end_s,
              "text": c.text, "title": c.title, "points": [m.to_doc() for m in c.points]} for c in summary.chapters]
    docs += [{**base, "_id": new_id(), "kind": "commentary", "unit": "line", "start_s": c.start_s,
              "end_s": c.start_s, "text": c.text, "title": ""} for c in summary.commentary]
    return docs


def _summary(docs: list[dict[str, Any]]) -> Summary | None:
    overview = next((d for d in docs if d.get("unit") == "overview"), None)
    if overview is None:
        return None
    chapters = sorted((d for d in docs if d.get("unit") == "chapter"), key=lambda d: float(d["start_s"]))
    lines = sorted((d for d in docs if d["kind"] == "commentary"), key=lambda d: float(d["start_s"]))
    return Summary(source=str(overview.get("source", "")), overview=str(overview.get("text", "")),
                   chapters=[Chapter(float(d["start_s"]), float(d["end_s"]), str(d.get("title", "")),
                                     str(d.get("text", "")), tuple(Moment.from_doc(m) for m in d.get("points") or []))
                             for d in chapters],
                   overview_points=[Moment.from_doc(m) for m in overview.get("points") or []],
                   commentary=[CommentaryLine(float(d["start_s"]), str(d.get("text", ""))) for d in lines])


class SummaryRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["segments"]

    def replace_for_video(self, video_id: str, summary: Summary, stage: str, version: int) -> None:
        self._coll.delete_many({"video_id": video_id, "kind": {"$in": list(KINDS)}})
        self._coll.insert_many(_docs(video_id, summary, stage, version), ordered=False)

    def for_video(self, video_id: str) -> Summary | None:
        return _summary(self._coll.find({"video_id": video_id, "kind": {"$in": list(KINDS)}}).to_list(None))


class AsyncSummaryRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["segments"]

    async def for_video(self, video_id: str) -> Summary | None:
        return _summary(await self._coll.find({"video_id": video_id, "kind": {"$in": list(KINDS)}}).to_list(None))
