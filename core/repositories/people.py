"""People and their appearances: the `people` and `face_prints` collections.

`people`: one document per person (core.models.person.Person), its centroid a 128-float32
Binary (FerretDB spends its time per field value: 128 array items per person would cost a
thousand people ~130k values on every read). `face_prints`: one document per video (`_id` =
video id) holding that video's appearances as rows, the distinct `person_ids` (what a person's
page queries) and the appearances' embeddings as one float32 Binary, so a split can move
appearances between people and re-centre both without re-analysing anything.

Person ids are never rewritten when people merge: the merged person keeps `merged_into`, and
every reader resolves ids through `Merges`. Counts are kept with `$inc` as videos are
(re)analysed; two workers joining the same person at once may each move its centroid without
seeing the other's move, which only nudges a mean. Sync side: the people stage (workers);
async side: the People page, search and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from bson.binary import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.person import Person, PersonAppearance

PEOPLE = "people"
PRINTS = "face_prints"
COUNTERS = "counters"
DIM = 128

Doc = dict[str, Any]
Vectors = npt.NDArray[np.float32]


def _person_doc(person: Person) -> Doc:
    doc = person.to_doc()
    doc["centroid"] = Binary(np.asarray(person.centroid, dtype="<f4").tobytes())
    return doc


def _person(doc: Doc) -> Person:
    raw = doc.get("centroid")
    centroid = np.frombuffer(bytes(raw), dtype="<f4").tolist() if isinstance(raw, (bytes, Binary)) else []
    return Person.from_doc({**doc, "centroid": centroid})


def _vectors(doc: Doc | None) -> Vectors:
    if not doc or not doc.get("vectors"):
        return np.zeros((0, DIM), dtype=np.float32)
    return np.frombuffer(bytes(doc["vectors"]), dtype="<f4").reshape(-1, DIM).astype(np.float32)


def _appearances(doc: Doc) -> list[PersonAppearance]:
    return [PersonAppearance.from_row(str(doc["_id"]), i, row) for i, row in enumerate(doc.get("rows") or [])]


def _print_doc(video_id: str, appearances: Sequence[PersonAppearance], vectors: Vectors) -> Doc:
    return {"_id": video_id, "rows": [a.to_row() for a in appearances],
            "person_ids": sorted({a.person_id for a in appearances}),
            "vectors": Binary(np.ascontiguousarray(vectors, dtype="<f4").tobytes())}


def _tally(appearances: Iterable[PersonAppearance]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in appearances:
        counts[a.person_id] = counts.get(a.person_id, 0) + 1
    return counts


@dataclass
class Merges:
    """Person id -> the person it was merged into, followed to the end of the chain."""

    into: dict[str, str]

    def resolve(self, person_id: str) -> str:
        seen = {person_id}
        while person_id in self.into and self.into[person_id] not in seen:
            person_id = self.into[person_id]
            seen.add(person_id)
        return person_id

    def aliases(self, person_id: str) -> list[str]:
        """`person_id` and every id that resolves to it."""
        return [person_id] + [other for other in self.into if self.resolve(other) == person_id]


def _merges(docs: Iterable[Doc]) -> Merges:
    return Merges({str(d["_id"]): str(d["merged_into"]) for d in docs if d.get("merged_into")})


class PeopleRepository:
    """Sync side, for the people stage in worker processes."""

    def __init__(self, db: SyncDatabase[Doc]) -> None:
        self._people = db[PEOPLE]
        self._prints = db[PRINTS]
        self._counters = db[COUNTERS]

    def active(self) -> list[Person]:
        """Every person a new appearance may join (not merged away; "not a face" clusters too)."""
        return [_person(d) for d in self._people.find({"merged_into": None})]

    def merges(self) -> Merges:
        return _merges(self._people.find({"merged_into": {"$ne": None}}, {"merged_into": 1}))

    def next_number(self) -> int:
        doc = self._counters.find_one_and_update({"_id": PEOPLE}, {"$inc": {"n": 1}}, upsert=True,
                                                 return_document=ReturnDocument.AFTER)
        return int((doc or {}).get("n") or 1)

    def add(self, person: Person) -> None:
        self._people.insert_one(_person_doc(person))

    def joined(self, person_id: str, centroid: Sequence[float], appearances: int,
               cover: tuple[str | None, int] | None) -> None:
        """A video's `appearances` joined `person_id`, whose centroid moved to `centroid`."""
        update: Doc = {"$set": {"centroid": Binary(np.asarray(centroid, dtype="<f4").tobytes())},
                       "$inc": {"count": appearances, "videos": 1}}
        if cover is not None and cover[0]:
            self._people.update_one({"_id": person_id, "cover_area": {"$lt": cover[1]}},
                                    {"$set": {"cover_path": cover[0], "cover_area": cover[1]}})
        self._people.update_one({"_id": person_id}, update)

    def prints(self, video_id: str) -> tuple[list[PersonAppearance], Vectors]:
        doc = self._prints.find_one({"_id": video_id})
        return (_appearances(doc) if doc else []), _vectors(doc)

    def forget_video(self, video_id: str) -> None:
        """Take a video's appearances out of its people's counts (before a re-run writes new ones)."""
        appearances, _ = self.prints(video_id)
        merges = self.merges()
        for person_id, n in _tally(appearances).items():
            self._people.update_one({"_id": merges.resolve(person_id)}, {"$inc": {"count": -n, "videos": -1}})
        self._prints.delete_one({"_id": video_id})

    def save_prints(self, video_id: str, appearances: Sequence[PersonAppearance], vectors: Vectors) -> None:
        self._prints.replace_one({"_id": video_id}, _print_doc(video_id, appearances, vectors), upsert=True)


class AsyncPeopleRepository:
    """Async side: the People page, search's `person:` filter, `vip people`, exports."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._people = db[PEOPLE]
        self._prints = db[PRINTS]

    async def merges(self) -> Merges:
        return _merges(await self._people.find({"merged_into": {"$ne": None}}, {"merged_into": 1}).to_list(None))

    async def all(self) -> list[Person]:
        """Every person not merged away, "not a face" clusters included (callers filter)."""
        docs = await self._people.find({"merged_into": None}).to_list(None)
        return [_person(d) for d in docs]

    async def get(self, person_id: str) -> Person | None:
        merges = await self.merges()
        doc = await self._people.find_one({"_id": merges.resolve(person_id)})
        return _person(doc) if doc else None

    async def set_fields(self, person_id: str, fields: Doc) -> None:
        if "name" in fields:
            fields = {**fields, "name_lc": (fields["name"] or "").lower()}
        await self._people.update_one({"_id": person_id}, {"$set": fields})

    async def replace(self, person: Person) -> None:
        await self._people.replace_one({"_id": person.id}, _person_doc(person), upsert=True)

    async def prints_of(self, person_ids: Sequence[str]) -> list[tuple[list[PersonAppearance], Vectors]]:
        """The face prints of every video where any of `person_ids` appears."""
        docs = await self._prints.find({"person_ids": {"$in": list(person_ids)}}).to_list(None)
        return [(_appearances(d), _vectors(d)) for d in docs]

    async def for_video(self, video_id: str) -> list[PersonAppearance]:
        doc = await self._prints.find_one({"_id": video_id}, {"vectors": 0})
        return _appearances(doc) if doc else []

    async def video_ids_of(self, person_ids: Sequence[str]) -> list[str]:
        docs = await self._prints.find({"person_ids": {"$in": list(person_ids)}}, {"_id": 1}).to_list(None)
        return [str(d["_id"]) for d in docs]

    async def save_prints(self, video_id: str, appearances: Sequence[PersonAppearance], vectors: Vectors) -> None:
        await self._prints.replace_one({"_id": video_id}, _print_doc(video_id, appearances, vectors), upsert=True)

    async def next_number(self, db_counters: str = COUNTERS) -> int:
        doc = await self._people.database[db_counters].find_one_and_update(
            {"_id": PEOPLE}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        return int((doc or {}).get("n") or 1)

    async def forget_video(self, video_id: str) -> None:
        """A removed video's appearances leave its people's counts."""
        doc = await self._prints.find_one({"_id": video_id}, {"vectors": 0})
        if doc is None:
            return
        merges = await self.merges()
        for person_id, n in _tally(_appearances(doc)).items():
            await self._people.update_one({"_id": merges.resolve(person_id)}, {"$inc": {"count": -n, "videos": -1}})
        await self._prints.delete_one({"_id": video_id})
