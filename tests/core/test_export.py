"""Shot list exports: CSV, JSON and CMX 3600 EDL parse back; the contact sheet is an image."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from core.export import contact_sheet, export_text, parse_edl, timecode
from core.models import MediaInfo, Shot, Video


def _video_and_shots(tmp_path: Path) -> tuple[Video, list[Shot]]:
    media = MediaInfo("mp4", 6.0, 0.0, 25.0, 320, 240, 0, 320, 240, "h264", False, None, None, None,
                      None, 150, 1000)
    video = Video(project_id="p", path="/footage/interview take 2.mp4", fingerprint="f", size_bytes=1,
                  media=media)
    bounds = [(0.0, 2.0, 0, 50, "start"), (2.0, 3.52, 50, 88, "cut"), (3.52, 6.0, 88, 150, "dissolve")]
    shots = []
    for i, (start, end, f0, f1, kind) in enumerate(bounds):
        key = tmp_path / f"k{i}.jpg"
        Image.new("RGB", (160, 120), (40 * i, 90, 200 - 40 * i)).save(key)
        shots.append(Shot(video.id, i, start, end, f0, f1, kind, str(key), start + 0.5))
    return video, shots


def test_timecode_is_non_drop_frame_at_the_nominal_rate() -> None:
    assert timecode(3.52, 25) == "00:00:03:13"
    assert timecode(3661.04, 25) == "01:01:01:01"
    assert timecode(1.001, 29.97) == "00:00:01:00"


def test_csv_lists_every_shot(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    rows = list(csv.DictReader(io.StringIO(export_text("csv", video, shots))))
    assert [r["shot"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["start_tc"] == "00:00:02:00" and rows[1]["end_tc"] == "00:00:03:13"
    assert rows[2]["transition"] == "dissolve" and float(rows[2]["duration_s"]) == pytest.approx(2.48)


def test_json_round_trips(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    data = json.loads(export_text("json", video, shots))
    assert data["video"]["name"] == "interview take 2.mp4"
    assert [s["start_frame"] for s in data["shots"]] == [0, 50, 88]


def test_edl_parses_back_into_the_same_cuts(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    text = export_text("edl", video, shots)
    assert text.startswith("TITLE: interview take 2\nFCM: NON-DROP FRAME\n")
    assert parse_edl(text) == [(1, "00:00:00:00", "00:00:02:00"), (2, "00:00:02:00", "00:00:03:13"),
                               (3, "00:00:03:13", "00:00:06:00")]
    assert "* FROM CLIP NAME: interview take 2.mp4" in text


def test_contact_sheet_shows_every_keyframe(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    sheet = contact_sheet(video, shots, tmp_path / "sheet.png", columns=2, tile_width=160)
    with Image.open(sheet) as image:
        assert image.width == 8 + 2 * (160 + 8)
        assert image.height > 2 * 120  # two rows of tiles plus labels and a title
        # the second tile's colour is where the second keyframe was pasted
        assert image.getpixel((8 + 168 + 80, 40 + 60)) == pytest.approx((40, 90, 160), abs=6)


def test_contact_sheet_without_keyframes_says_what_to_do(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    for shot in shots:
        shot.keyframe_path = None
    with pytest.raises(ValueError, match="run the analysis first"):
        contact_sheet(video, shots, tmp_path / "x.png")
