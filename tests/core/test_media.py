"""Probe and poster on generated videos (and the shared reference media when present)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import MediaError
from core.media.fingerprint import fingerprint
from core.media.poster import pick_poster
from core.media.probe import probe
from core.media.samples import SAMPLES, generate_samples
from tests.media import MediaSet


def _no_progress(fraction: float, message: str) -> None:
    pass


def test_probe_reads_metadata_of_an_mp4_with_audio(media: MediaSet) -> None:
    info = probe(media.good)
    assert info.duration_s == pytest.approx(4.0, abs=0.1)
    assert info.fps == pytest.approx(25.0)
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert info.video_codec == "h264"
    assert info.has_audio and info.audio_codec == "aac"
    assert info.container.startswith("mov,mp4")
    assert info.bit_rate and info.bit_rate > 0
    assert info.frame_count == 100


def test_probe_reads_matroska_vp9_without_audio(media: MediaSet) -> None:
    info = probe(media.mkv)
    assert info.container.startswith("matroska")
    assert info.video_codec == "vp9"
    assert not info.has_audio and info.audio_codec is None
    assert info.duration_s == pytest.approx(3.0, abs=0.1)


def test_rotated_video_is_reported_and_postered_upright(media: MediaSet) -> None:
    info = probe(media.rotated)
    assert (info.width, info.height) == (320, 180)
    assert info.rotation in (90, 270)
    assert (info.display_width, info.display_height) == (180, 320)
    image, _ = pick_poster(media.rotated, info, _no_progress)
    assert image.width < image.height  # portrait, like the phone shot it
    top, bottom = image.getpixel((90, 10)), image.getpixel((90, 310))
    # ffmpeg's own auto-rotation shows the blue half on top of the red half.
    assert top[2] > 200 and top[0] < 60, top
    assert bottom[0] > 200 and bottom[2] < 60, bottom


def test_poster_skips_black_opening(media: MediaSet) -> None:
    info = probe(media.black_start)
    image, at = pick_poster(media.black_start, info, _no_progress)
    assert at >= 3.0
    assert np.asarray(image.convert("L")).mean() > 60


def test_poster_reports_progress(media: MediaSet) -> None:
    seen: list[float] = []
    pick_poster(media.good, probe(media.good), lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("missing", "file not found"),
        ("empty", "the file is empty (0 bytes)"),
        ("text", "not a readable video"),
        ("truncated", "not a readable video"),
        ("audio_only", "contains no video stream (found: audio)"),
    ],
)
def test_bad_input_errors_name_the_file_and_the_problem(media: MediaSet, name: str, problem: str) -> None:
    path: Path = getattr(media, name)
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)
    assert caught.value.hint  # tells the operator what to do


def test_fingerprint_matches_copies_and_differs_for_other_content(media: MediaSet, tmp_path: Path) -> None:
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(media.good.read_bytes())
    assert fingerprint(copy) == fingerprint(media.good)
    assert fingerprint(media.mkv)[0] != fingerprint(media.good)[0]


def test_generated_samples_are_valid_videos(tmp_path: Path) -> None:
    paths = generate_samples(tmp_path)
    assert [p.name for p in paths] == [s.name for s in SAMPLES]
    infos = [probe(p) for p in paths]
    assert [round(i.duration_s) for i in infos] == [round(s.seconds) for s in SAMPLES]
    assert infos[1].rotation == 90 and infos[1].display_height > infos[1].display_width
    assert infos[0].has_audio and not infos[1].has_audio


def test_shared_reference_media(shared_media: Path) -> None:
    rotated = probe(shared_media / "issue-134-rotate.mp4")
    assert rotated.rotation == 90 and (rotated.display_width, rotated.display_height) == (544, 1280)
    image, _ = pick_poster(shared_media / "issue-134-rotate.mp4", rotated, _no_progress)
    assert image.height > image.width
    delayed = probe(shared_media / "delayed_start.mp4")
    assert delayed.start_s == pytest.approx(1.075, abs=0.01)
    mkv = probe(shared_media / "issue-236-split-copy.mkv")
    assert mkv.container.startswith("matroska") and mkv.has_audio
