"""Watch folders against the real database: a slow copy is analysed once, after it settles; a
renamed file is not analysed again; a deleted folder gets a clear status; state survives restarts."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

from app.settings import Settings
from app.wiring import services_for
from core.services.watch import Taken
from tests.conftest import run_vip
from tests.media import MediaSet


async def _scan_until(services: object, seconds: float) -> list[Taken]:
    """Scan every 0.2 s until something is taken or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        taken = await services.watch.scan()  # type: ignore[attr-defined]
        if taken:
            return list(taken)
        await asyncio.sleep(0.2)
    return []


def test_a_slow_copy_is_analysed_once_and_a_renamed_file_not_again(
        media: MediaSet, vip_env: dict[str, str], tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    content = media.good.read_bytes()
    settings = Settings.load(vip_env)

    async def scenario() -> None:
        async with services_for(settings) as services:
            folder = await services.watch.add(drop, "Incoming", settle_s=1.0)
            target = drop / "camera 1.mp4"
            with target.open("wb") as out:  # written over ~3 s, in eight pieces: never taken half written
                for i in range(8):
                    out.write(content[i * len(content) // 8:(i + 1) * len(content) // 8])
                    out.flush()
                    assert await services.watch.scan() == []
                    await asyncio.sleep(0.4)
            (taken,) = await _scan_until(services, 5.0)
            assert taken.path == str(target) and taken.job_id is not None
            video = await services.library.video(taken.video_id)
            assert video is not None and video.size_bytes == len(content) and video.name == "camera 1.mp4"
            jobs = await services.jobs.recent()
            assert [j.id for j in jobs] == [taken.job_id]
            assert await _scan_until(services, 1.5) == []  # taken once
            (listed,) = await services.watch.folders()
            assert listed.id == folder.id and listed.ok and listed.status == "Watching: 1 file analysed"
            target.rename(drop / "renamed.mp4")
            (sub := drop / "day 2").mkdir()
            shutil.copy(drop / "renamed.mp4", sub / "copy.mp4")
            again = await _scan_until(services, 5.0)
            again += await _scan_until(services, 2.0)
            assert sorted(Path(t.path).name for t in again) == ["copy.mp4", "renamed.mp4"]
            assert all(t.job_id is None and t.video_id == taken.video_id for t in again)  # same content
            assert [j.id for j in await services.jobs.recent()] == [taken.job_id]
        async with services_for(settings) as services:  # a restart: nothing is taken twice
            assert await _scan_until(services, 2.0) == []
            assert len(await services.jobs.recent()) == 1

    asyncio.run(scenario())


def test_a_deleted_folder_gets_a_clear_status_and_the_other_folders_go_on(
        media: MediaSet, vip_env: dict[str, str], tmp_path: Path) -> None:
    gone, kept = tmp_path / "usb drive", tmp_path / "kept"
    gone.mkdir()
    kept.mkdir()
    settings = Settings.load(vip_env)

    async def scenario() -> None:
        async with services_for(settings) as services:
            await services.watch.add(gone, "A", settle_s=0.0)
            await services.watch.add(kept, "B", settle_s=0.0, recursive=False, extensions=("mkv",))
            shutil.rmtree(gone)
            (kept / "ignored.mp4").write_bytes(media.good.read_bytes())  # not an .mkv
            shutil.copy(media.mkv, kept / "clip.mkv")
            taken = []
            for _ in range(3):  # a missing folder is reported, never raised, scan after scan
                taken += await services.watch.scan()
            assert [Path(t.path).name for t in taken] == ["clip.mkv"]  # settle 0: the second scan takes it
            status = {Path(f.path).name: f for f in await services.watch.folders()}
            assert not status["usb drive"].ok
            assert status["usb drive"].status == (f"Folder not found: {gone} — reconnect its drive, or remove this "
                                                  "watch folder")
            assert status["kept"].ok and status["kept"].status == "Watching: 1 file analysed"

    asyncio.run(scenario())


def test_watch_folders_from_the_command_line(vip_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "Rushes"
    folder.mkdir()
    added = run_vip(["watch", "add", str(folder), "--project", "Rushes", "--ext", "mov,MP4", "--settle", "3"], vip_env)
    assert added.returncode == 0, added.stderr
    assert f"watching {folder} for project 'Rushes'" in added.stdout and ".mov, .mp4" in added.stdout
    twice = run_vip(["watch", "add", str(folder)], vip_env)
    assert twice.returncode == 1 and "is watched already" in twice.stderr
    missing = run_vip(["watch", "add", str(tmp_path / "nope")], vip_env)
    assert missing.returncode == 1 and "is not a folder" in missing.stderr
    (listed,) = [json.loads(line) for line in run_vip(["watch", "list", "--json"], vip_env).stdout.splitlines()]
    assert (listed["path"], listed["project"], listed["extensions"], listed["settle_s"]) == \
        (str(folder), "Rushes", [".mov", ".mp4"], 3.0)
    removed = run_vip(["watch", "remove", str(folder)], vip_env)
    assert removed.returncode == 0 and "no longer watching" in removed.stdout
    assert "No watch folders" in run_vip(["watch", "list"], vip_env).stdout
    assert run_vip(["watch"], vip_env).returncode == 2  # nothing to watch
