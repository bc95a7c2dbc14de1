"""Per-project analysis profiles (`analysis_profiles` collection, one document per project, `_id`
the project's id).

A collection of its own rather than a field of `project_settings` (the routing's document):
FerretDB rewrites whole documents on update, so a routing save and a profile save of the same
project at the same moment would undo one another there. Here each save replaces one small
document, read by `_id` only (the one lookup FerretDB serves without a scan).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models import Video
from core.models.profile import AnalysisProfile
from core.timeutil import utc_now

COLLECTION = "analysis_profiles"


class ProfileRepository:
    """Sync reads for worker processes (a stage that needs the profile, e.g. translate's target)."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db[COLLECTION]

    def get(self, project_id: str) -> AnalysisProfile:
        """The project's profile; the defaults if it never saved one."""
        return AnalysisProfile.from_doc(self._coll.find_one({"_id": project_id}))

    def target_language(self, video: Video) -> str:
        """The language the video's project translates into ("en" unless chosen): the translate
        stage's `target_language` (read when the stage runs, so a change applies to the next run)."""
        return self.get(video.project_id).translate_to


class AsyncProfileRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db[COLLECTION]

    async def get(self, project_id: str) -> AnalysisProfile:
        return AnalysisProfile.from_doc(await self._coll.find_one({"_id": project_id}))

    async def set(self, project_id: str, profile: AnalysisProfile) -> None:
        """Store the whole profile (the last save wins; there is one field set per project)."""
        doc = {"_id": project_id, **profile.to_doc(), "updated_at": utc_now()}
        await self._coll.replace_one({"_id": project_id}, doc, upsert=True)

    async def delete(self, project_id: str) -> None:
        await self._coll.delete_one({"_id": project_id})
