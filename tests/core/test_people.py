"""People across the library: a video composed of face photos at known times (tests/data/README.md).

The first clip shows Obama (0-3 s), Biden (3-6 s), a second photo of Obama (6-9 s); the second
clip shows Obama's second photo again. The people stage must put both Obama photos into one
person and Biden into another, the second video's Obama must join the existing person (and
carry the name the operator gave), and the corrections (merge, split, "Not a face") must
change what the People page would list.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from core.models import JobStatus
from core.pipeline import FacesStage, PeopleStage, ProbeStage, VisualStage
from core.repositories import DatabaseAddress, JobRepository, connect_async
from core.repositories.people import AsyncPeopleRepository, PeopleRepository
from core.services.people import PeopleService
from tests.core.test_runner import add_video_job, make_runner

DATA = Path(__file__).resolve().parents[1] / "data"
OBAMA, OBAMA2, BIDEN = DATA / "obama_face.jpg", DATA / "obama2_face.jpg", DATA / "biden_face.jpg"
T = TypeVar("T")


def compose(path: Path, photos: list[Path], each_s: float = 3.0) -> Path:
    """A 1280×720 H.264 clip showing each photo (a face scaled to 360 px; a .png picture filling the
    frame) for `each_s` seconds in turn."""
    inputs: list[str] = []
    parts = []
    for i, photo in enumerate(photos):
        inputs += ["-loop", "1", "-t", str(each_s), "-framerate", "10", "-i", str(photo)]
        size = "1280:720" if Path(photo).suffix == ".png" else "360:360"  # a whole picture, or one face
        pad = "" if size == "1280:720" else f"pad=1280:720:{300 + 200 * (i % 2)}:150:color=0x404850,"
        parts.append(f"[{i}:v]scale={size},{pad}"
                     f"setsar=1,format=yuv420p[v{i}]")
    graph = ";".join(parts) + ";" + "".join(f"[v{i}]" for i in range(len(photos))) + \
        f"concat=n={len(photos)}:v=1:a=0[out]"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", str(path)], check=True)
    return path


def analyse(sync_db: Any, tmp_path: Path, clip: Path) -> tuple[str, str]:
    """Run probe → faces → people on `clip`; (video id, the people stage's message)."""
    video, job = add_video_job(sync_db, clip, ("probe", "visual", "faces", "people"))
    stages = [ProbeStage(), VisualStage(), FacesStage(), PeopleStage(people=lambda: PeopleRepository(sync_db))]
    assert make_runner(sync_db, tmp_path, stages).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done is not None
    return video.id, done.stages[3].message


def with_people(database: DatabaseAddress, body: Callable[[PeopleService], Awaitable[T]]) -> T:
    async def main() -> T:
        client, db = connect_async(database)
        try:
            return await body(PeopleService(AsyncPeopleRepository(db)))
        finally:
            await client.close()

    return asyncio.run(main())


def test_one_person_per_identity_across_appearances_and_videos(sync_db: Any, database: DatabaseAddress,
                                                               tmp_path: Path) -> None:
    first, message = analyse(sync_db, tmp_path, compose(tmp_path / "first.mp4", [OBAMA, BIDEN, OBAMA2]))
    assert message == "2 people in 3 appearances"

    async def name_obama(people: PeopleService) -> list[tuple[float, str, str]]:
        found = await people.in_video(first)
        obama = next(vp.person for vp in found if vp.appearance.start_s < 1.0)
        await people.rename(obama.id, "Barack Obama")
        return sorted((vp.appearance.start_s, vp.person.id, vp.person.display_name)
                      for vp in await people.in_video(first))

    rows = with_people(database, name_obama)
    assert [name for _, _, name in rows] == ["Barack Obama", "Person 2", "Barack Obama"], rows
    assert rows[0][1] == rows[2][1] != rows[1][1]  # both Obama photos: one person; Biden another

    second, message = analyse(sync_db, tmp_path, compose(tmp_path / "second.mp4", [OBAMA2]))
    assert message == "1 person in 1 appearances"

    async def listed(people: PeopleService) -> tuple[list[tuple[str, int, int]], list[str]]:
        cards = [(p.display_name, p.count, p.videos) for p in await people.people()]
        joined = [vp.person.display_name for vp in await people.in_video(second)]
        return cards, joined

    cards, joined = with_people(database, listed)
    assert joined == ["Barack Obama"]  # a future appearance carries the name
    assert cards == [("Barack Obama", 3, 2), ("Person 2", 1, 1)]


def test_merge_split_and_not_a_face_change_the_people_listed(sync_db: Any, database: DatabaseAddress,
                                                             tmp_path: Path) -> None:
    video_id, _ = analyse(sync_db, tmp_path, compose(tmp_path / "clip.mp4", [OBAMA, BIDEN, OBAMA2]))

    async def corrections(people: PeopleService) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        obama, biden = sorted(await people.people(), key=lambda p: p.number)
        await people.rename(biden.id, "Joe Biden")
        merged = await people.merge(obama.id, [biden.id])
        seen["merged"] = [(p.display_name, p.count) for p in await people.people()]
        seen["merged_name"] = merged.display_name
        picks = [a for a in await people.appearances(obama.id) if 3.0 <= a.start_s < 6.0]
        split = await people.split(obama.id, picks, name="Joe Biden again")
        seen["split"] = sorted((p.display_name, p.count) for p in await people.people())
        await people.set_not_a_face(split.id)
        seen["hidden"] = [(p.display_name, p.count) for p in await people.people()]
        seen["in_video"] = sorted(vp.appearance.start_s for vp in await people.in_video(video_id))
        seen["found"] = [p.display_name for p in await people.find("biden")]
        return seen

    seen = with_people(database, corrections)
    assert seen["merged"] == [("Joe Biden", 3)]  # Obama had no name: the merged person takes Biden's
    assert seen["split"] == [("Joe Biden", 2), ("Joe Biden again", 1)]
    assert seen["hidden"] == [("Joe Biden", 2)]
    assert seen["in_video"] == [0.0, 6.0]  # the hidden cluster's appearance left the video's people
    assert seen["found"] == ["Joe Biden"]


def test_a_video_without_faces_says_so(sync_db: Any, tmp_path: Path) -> None:
    clip = tmp_path / "empty.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=0x404850:size=640x360:rate=10:duration=2", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(clip)], check=True)
    _, message = analyse(sync_db, tmp_path, clip)
    assert message == "No faces"


def test_a_corrupt_face_model_is_one_clear_error_for_the_whole_batch(sync_db: Any, tmp_path: Path) -> None:
    from core.models import StageStatus

    corrupt = tmp_path / "data" / "models" / "dlib-faces" / "dlib_face_recognition_resnet_model_v1.dat"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"not a model")  # a user copy wins over the package's, and is checked
    stage = PeopleStage(tmp_path / "data", people=lambda: PeopleRepository(sync_db))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), FacesStage(), stage])
    messages = []
    for name, photo in (("one.mp4", OBAMA), ("two.mp4", BIDEN)):
        video, job = add_video_job(sync_db, compose(tmp_path / name, [photo]), ("probe", "visual", "faces", "people"))
        assert runner.run(job.id) == JobStatus.FAILED
        done = JobRepository(sync_db).get(job.id)
        assert done and done.stages[3].status == StageStatus.FAILED and done.error
        assert [s.status for s in done.stages[:3]] == [StageStatus.SUCCEEDED] * 3  # faces are kept
        messages.append(done.error.message)
    assert "'dlib-faces'" in messages[0] and f"checksum mismatch in {corrupt}" in messages[0]
    assert messages[1] == messages[0]  # the worker remembers the failure: no second load


def test_fifty_faces_at_once_are_people_not_a_failure(sync_db: Any, tmp_path: Path) -> None:
    """A crowd: 50 face photos (4 photos of 3 people, 128 px each) in one 1280×720 picture."""
    from PIL import Image

    photos = [Image.open(p).convert("RGB").resize((128, 128)) for p in (OBAMA, BIDEN, OBAMA2, DATA / "astronaut_face.jpg")]
    grid = Image.new("RGB", (1280, 720), (60, 70, 80))
    for i in range(50):
        row, column = divmod(i, 10)
        grid.paste(photos[i % 4], (column * 128, row * 144 + 8))
    picture = tmp_path / "crowd.png"
    grid.save(picture)
    video_id, message = analyse(sync_db, tmp_path, compose(tmp_path / "crowd.mp4", [picture], each_s=2.0))
    words = message.split()  # "3 people in 38 appearances"
    assert words[1:3] == ["people", "in"] and words[4] == "appearances", message
    assert 2 <= int(words[0]) <= 8 and int(words[3]) >= 30, message
