"""Watch folders (`watch_folders`) and the files they have seen (`watched_files`, `_id`
"<folder id>:<path>", one small document per file: FerretDB rewrites whole documents)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from core.models.watch import WatchedFile, WatchFolder


class AsyncWatchRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._folders = db["watch_folders"]
        self._files = db["watched_files"]

    async def folders(self) -> list[WatchFolder]:
        return [WatchFolder.from_doc(d) for d in await self._folders.find({}).sort("path", 1).to_list(None)]

    async def save_folder(self, folder: WatchFolder) -> None:
        await self._folders.replace_one({"_id": folder.id}, folder.to_doc(), upsert=True)

    async def set_status(self, folder_id: str, status: str, ok: bool) -> None:
        await self._folders.update_one({"_id": folder_id}, {"$set": {"status": status, "ok": ok}})

    async def remove_folder(self, folder_id: str) -> None:
        await self._folders.delete_one({"_id": folder_id})
        await self._files.delete_many({"folder_id": folder_id})

    async def files(self, folder_id: str) -> dict[str, WatchedFile]:
        """The folder's files by path."""
        docs = await self._files.find({"folder_id": folder_id}).to_list(None)
        return {d["path"]: WatchedFile.from_doc(d) for d in docs}

    async def save_file(self, file: WatchedFile) -> None:
        await self._files.replace_one({"_id": file.id}, file.to_doc(), upsert=True)

    async def forget_file(self, file: WatchedFile) -> None:
        await self._files.delete_one({"_id": file.id})
