"""PeopleService: the operator's view of who appears in the library, and their corrections.

One card per person (the People page, `vip people`), their appearances across every video,
and the corrections: name a person (every past and future appearance carries the name, since
appearances store the person's id and the name lives on the person), merge people, split
appearances off into a new person, and mark a whole cluster "Not a face". Search's `person:`
filter and `vip analyze --json` read names through here. Async, for the GUI and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import VipError
from core.export import PersonOnScreen
from core.models.person import Person, PersonAppearance
from core.repositories.people import AsyncPeopleRepository, Vectors
from core.repositories.segments import AsyncSegmentRepository
from core.repositories.videos import AsyncVideoRepository
from core.search.who import Spans


@dataclass(frozen=True)
class VideoPerson:
    """One appearance in a video with the person it belongs to now (merges resolved)."""

    appearance: PersonAppearance
    person: Person

    def on_screen(self) -> PersonOnScreen:
        """What exports carry of it."""
        return PersonOnScreen(self.person.id, self.person.display_name, self.appearance.start_s,
                              self.appearance.end_s)


def mean_vector(vectors: Vectors) -> list[float]:
    """A person's centroid: the mean of their appearances' face embeddings (core.faces.clustering)."""
    mean: list[float] = np.asarray(vectors, dtype=np.float64).mean(axis=0).astype(np.float32).tolist()
    return mean


class PeopleService:
    """People across the library: list, look up, name, merge, split, "Not a face"."""

    def __init__(self, people: AsyncPeopleRepository) -> None:
        self._people = people

    async def people(self, include_hidden: bool = False) -> list[Person]:
        """Everyone seen at least once, most appearances first ("Not a face" clusters only on request)."""
        found = [p for p in await self._people.all() if p.count > 0 and (include_hidden or not p.not_a_face)]
        return sorted(found, key=lambda p: (-p.count, p.number))

    async def person(self, person_id: str) -> Person | None:
        return await self._people.get(person_id)

    async def require(self, person_id: str) -> Person:
        person = await self._people.get(person_id)
        if person is None:
            raise VipError(f"No person with id {person_id!r}; `vip people` lists them")
        return person

    async def find(self, name: str) -> list[Person]:
        """People whose name contains `name` (any case), or whose "Person N" label is `name`."""
        wanted = name.strip().lower()
        if not wanted:
            return []
        return [p for p in await self.people() if wanted in p.display_name.lower()
                and (p.name is not None or wanted == p.display_name.lower())]

    async def appearances(self, person_id: str) -> list[PersonAppearance]:
        """Every appearance of the person (and of those merged into them), by video then time."""
        person = await self.require(person_id)
        merges = await self._people.merges()
        ids = set(merges.aliases(person.id))
        found = [a for rows, _ in await self._people.prints_of(sorted(ids)) for a in rows if a.person_id in ids]
        return sorted(found, key=lambda a: (a.video_id, a.start_s))

    async def video_ids(self, person_ids: Sequence[str]) -> list[str]:
        """The videos where any of these people appears."""
        merges = await self._people.merges()
        ids = sorted({alias for pid in person_ids for alias in merges.aliases(merges.resolve(pid))})
        return await self._people.video_ids_of(ids)

    async def in_video(self, video_id: str) -> list[VideoPerson]:
        """The video's appearances with their people (merges resolved; "Not a face" ones left out)."""
        appearances = await self._people.for_video(video_id)
        merges = await self._people.merges()
        people = {p.id: p for p in await self._people.all()}
        out = []
        for a in appearances:
            person = people.get(merges.resolve(a.person_id))
            if person is not None and not person.not_a_face:
                out.append(VideoPerson(a, person))
        return out

    async def rename(self, person_id: str, name: str) -> Person:
        """Name a person ("" takes the name away: "Person N" again)."""
        person = await self.require(person_id)
        clean = " ".join(name.split()) or None
        await self._people.set_fields(person.id, {"name": clean})
        person.name = clean
        return person

    async def set_not_a_face(self, person_id: str, not_a_face: bool = True) -> Person:
        """Hide (or show again) a whole cluster; look-alike detections keep joining it, hidden."""
        person = await self.require(person_id)
        await self._people.set_fields(person.id, {"not_a_face": not_a_face})
        person.not_a_face = not_a_face
        return person

    async def merge(self, into_id: str, other_ids: Sequence[str]) -> Person:
        """Fold `other_ids` into `into_id`: their appearances become the target's, names included."""
        target = await self.require(into_id)
        vectors, weights = [np.asarray(target.centroid, np.float32)], [max(1, target.count)]
        for other_id in other_ids:
            other = await self.require(other_id)
            if other.id == target.id:
                continue
            await self._people.set_fields(other.id, {"merged_into": target.id})
            vectors.append(np.asarray(other.centroid, np.float32))
            weights.append(max(1, other.count))
            target.count += other.count
            target.name = target.name or other.name
            if other.cover_area > target.cover_area:
                target.cover_path, target.cover_area = other.cover_path, other.cover_area
        target.centroid = mean_vector(np.average(np.stack(vectors), axis=0, weights=weights)[None, :])
        target.videos = len(await self.video_ids([target.id]))
        await self._people.replace(target)
        return target

    async def split(self, person_id: str, picks: Sequence[PersonAppearance], name: str | None = None) -> Person:
        """Move the picked appearances of a person into a new person (and re-centre both)."""
        source = await self.require(person_id)
        merges = await self._people.merges()
        ids = set(merges.aliases(source.id))
        wanted = {(a.video_id, a.index) for a in picks}
        if not wanted:
            raise VipError("Pick the appearances to split off first")
        new = Person(number=await self._people.next_number(), centroid=[], name=" ".join((name or "").split()) or None)
        moved: list[Vectors] = []
        kept: list[Vectors] = []
        videos_new, videos_kept = 0, 0
        for rows, vectors in await self._people.prints_of(sorted(ids)):
            changed = False
            here_new = here_kept = False
            for a in rows:
                if a.person_id not in ids:
                    continue
                vec = vectors[a.index:a.index + 1]
                if (a.video_id, a.index) in wanted:
                    a.person_id, changed, here_new = new.id, True, True
                    moved.append(vec)
                    area = a.box.w * a.box.h
                    if a.image_path and area > new.cover_area:
                        new.cover_path, new.cover_area = a.image_path, area
                else:
                    kept.append(vec)
                    here_kept = True
            videos_new += here_new
            videos_kept += here_kept
            if changed:
                await self._people.save_prints(rows[0].video_id, rows, vectors)
        if not moved:
            raise VipError(f"None of the picked appearances belongs to {source.display_name}")
        new.centroid, new.count, new.videos = mean_vector(np.concatenate(moved)), len(moved), videos_new
        await self._people.replace(new)
        source.count, source.videos = len(kept), videos_kept
        if kept:
            source.centroid = mean_vector(np.concatenate(kept))
        await self._people.replace(source)
        return new


class WhoLookup:
    """Search's `person:` and `speaker:` lookups (core.search.who.WhoLookup) over the library."""

    def __init__(self, people: PeopleService, videos: AsyncVideoRepository, segments: AsyncSegmentRepository) -> None:
        self._people = people
        self._videos = videos
        self._segments = segments

    async def person_spans(self, name: str) -> tuple[str, dict[str, Spans]]:
        found = await self._people.find(name)
        spans: dict[str, Spans] = {}
        for person in found:
            for a in await self._people.appearances(person.id):
                spans.setdefault(a.video_id, []).append((a.start_s, a.end_s))
        return " / ".join(p.display_name for p in found), spans

    async def speaker_spans(self, video_id: str, name: str) -> Spans:
        video = await self._videos.get(video_id)
        if video is None:
            return []
        wanted = name.strip().lower()
        labels = {label for label, shown in video.speaker_names().items() if wanted in shown.lower()}
        lines = await self._segments.for_video(video_id, "speech")
        return [(s.start_s, s.end_s) for s in lines if s.speaker in labels]
