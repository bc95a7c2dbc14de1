"""Stage: people — who the faces are, across the whole library (dlib ResNet face embeddings).

Reads the faces stage's detections, groups them into appearances (a face tracked over
consecutive samples, core.faces.appearances), embeds up to EMBED_PER_APPEARANCE of each
appearance's clearest crops with dlib's 5-point alignment and ResNet (core.faces.embedding)
and averages them. Each appearance then joins the nearest known person within the threshold
(core.faces.clustering.assign_or_cluster); the rest are clustered among themselves into new
people, numbered "Person N" until the operator names them. Writes the video's face prints
and moves the people's counts and centroids (core.repositories.people). A re-run first takes
the video's earlier appearances out of their people's counts.

The crops are read from the media cache (the faces stage saved them with the face at a known
place, `face_in_crop`), so nothing is decoded again. Runs in a worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from core.errors import VipError
from core.faces import face_appearances
from core.faces.appearances import FaceAppearance
from core.faces.detector import FaceBox
from core.models.person import Person, PersonAppearance
from core.modelstore import DLIB_FACES, ModelLoader
from core.pipeline.faces_stage import NO_FACES, face_in_crop
from core.pipeline.stage import StageContext
from core.repositories.people import DIM, PeopleRepository

EMBED_PER_APPEARANCE = 3  # the largest crops of an appearance, averaged


class PeopleStage:
    name = "people"
    title = "People"
    version = 1
    # dlib's ResNet takes ~30-60 ms per 150 px chip on one core; ≤ 3 chips per appearance.
    weight = 1.0
    requires: tuple[str, ...] = ("faces",)

    def __init__(self, data_dir: Path | None = None, people: Callable[[], PeopleRepository] | None = None) -> None:
        """`people` opens the people repository of the worker's database (None: this process
        only lists stage names and never runs it)."""
        from core.faces.embedding import FaceEmbedder

        self.data_dir = data_dir
        self.people = people
        self.loader = ModelLoader(lambda store: FaceEmbedder(store.files(DLIB_FACES.name)))

    def run(self, ctx: StageContext) -> None:
        if self.people is None:
            raise VipError("The people stage has no database to keep people in")
        repo = self.people()
        video = ctx.video
        ctx.report(0.0, "Grouping faces into appearances")
        appearances = [a for a in face_appearances(ctx.segments.for_video(video.id, "face")) if a.segments]
        repo.forget_video(video.id)
        if not appearances:
            repo.save_prints(video.id, [], np.zeros((0, DIM), np.float32))
            ctx.summary = NO_FACES
            ctx.report(1.0, ctx.summary)
            return
        ctx.report(0.05, "Loading the face embedding model")
        embedder = self.loader.get(self.data_dir or ctx.data_dir)
        vectors = np.zeros((len(appearances), DIM), np.float32)
        usable: list[int] = []
        for i, appearance in enumerate(appearances):
            found = [embedder.embed(*crop) for crop in _crops(appearance)]
            if found:
                vectors[i] = np.concatenate(found).mean(axis=0)
                usable.append(i)
            ctx.report(0.05 + 0.85 * (i + 1) / len(appearances), f"Embedded {i + 1} of {len(appearances)} faces")
        if not usable:
            raise VipError(f"The face crops of {video.name} are missing from the media cache "
                           f"({ctx.media_dir}); analyse the video again with faces forced")
        covers = [(appearances[i].image_path, appearances[i].box.w * appearances[i].box.h) for i in usable]
        people, labels = self._assign(repo, vectors[usable], covers)
        rows = [PersonAppearance(video.id, n, a.start_s, a.end_s, a.box, a.image_path, people[label].id, a.detections)
                for n, (a, label) in enumerate(zip((appearances[i] for i in usable), labels))]
        repo.save_prints(video.id, rows, vectors[usable])
        distinct = len(set(labels))
        ctx.summary = f"{distinct} {'person' if distinct == 1 else 'people'} in {len(rows)} appearances"
        ctx.report(1.0, ctx.summary)

    @staticmethod
    def _assign(repo: PeopleRepository, vectors: np.ndarray,
                covers: list[tuple[str | None, int]]) -> tuple[list[Person], list[int]]:
        """Each appearance's person: a known one it joins, or a new one; the people touched are
        saved, each with its clearest crop (`covers`: each appearance's crop and box area) as cover."""
        from core.faces.clustering import assign_or_cluster

        known = repo.active()
        centroids = np.asarray([p.centroid for p in known], np.float32).reshape(-1, DIM)
        labels = assign_or_cluster(vectors, centroids)
        people: list[Person] = list(known)
        for label in sorted(set(labels)):
            indices = [i for i, lab in enumerate(labels) if lab == label]
            members = vectors[indices]
            cover = max((covers[i] for i in indices), key=lambda c: c[1])
            if label < len(known):
                person = known[label]
                total = person.count + len(members)
                centroid = (np.asarray(person.centroid, np.float64) * max(person.count, 0)
                            + members.sum(axis=0)) / max(total, 1)
                person.centroid = centroid.astype(np.float32).tolist()
                repo.joined(person.id, person.centroid, len(members), cover)
            else:
                while len(people) <= label:
                    people.append(Person(number=0, centroid=[]))
                person = Person(number=repo.next_number(), centroid=members.mean(axis=0).tolist(),
                                count=len(members), videos=1, cover_path=cover[0], cover_area=cover[1])
                people[label] = person
                repo.add(person)
        return people, labels


def _crops(appearance: FaceAppearance) -> list[tuple[npt.NDArray[np.uint8], list[FaceBox]]]:
    """(image, [face box]) of the appearance's EMBED_PER_APPEARANCE largest saved crops."""
    largest = sorted((s for s in appearance.segments if s.image_path and s.boxes),
                     key=lambda s: -(s.boxes[0].w * s.boxes[0].h))[:EMBED_PER_APPEARANCE]
    out = []
    for segment in largest:
        path = Path(segment.image_path or "")
        if not path.is_file():
            continue
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"), np.uint8)
        out.append((rgb, [face_in_crop(rgb.shape[1], rgb.shape[0])]))
    return out
