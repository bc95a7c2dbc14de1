"""Shot list exports: CSV, JSON and CMX 3600 EDL parse back; the contact sheet is an image; subtitles
name their speakers and carry a second language."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from core.export import FORMATS, PersonOnScreen, contact_sheet, parse_edl, render, subtitles, timecode
from core.models import MediaInfo, Shot, TextSegment, Video
from core.models.summary import LOCAL, Chapter, Summary
from core.subtitles import parse_srt, parse_vtt, speaker_name


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
    rows = list(csv.DictReader(io.StringIO(render("csv", video, shots).decode())))
    assert [r["shot"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["start_tc"] == "00:00:02:00" and rows[1]["end_tc"] == "00:00:03:13"
    assert rows[2]["transition"] == "dissolve" and float(rows[2]["duration_s"]) == pytest.approx(2.48)


def test_json_round_trips(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    data = json.loads(render("json", video, shots).decode())
    assert data["video"]["name"] == "interview take 2.mp4"
    assert [s["start_frame"] for s in data["shots"]] == [0, 50, 88]


def test_json_names_the_people_on_screen_in_each_shot(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    people = [PersonOnScreen("p1", "Ann Lee", 0.5, 2.5), PersonOnScreen("p2", "Person 2", 4.0, 5.0)]
    data = json.loads(render("json", video, shots, people=people).decode())
    assert [s["people"] for s in data["shots"]] == [["p1"], ["p1"], ["p2"]]
    assert data["people"][0] == {"person_id": "p1", "name": "Ann Lee", "start_s": 0.5, "end_s": 2.5}
    assert "people" not in json.loads(render("json", video, shots).decode())["shots"][0]


def test_edl_parses_back_into_the_same_cuts(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    text = render("edl", video, shots).decode()
    assert text.startswith("TITLE: interview take 2\nFCM: NON-DROP FRAME\n")
    assert parse_edl(text) == [(1, "00:00:00:00", "00:00:02:00"), (2, "00:00:02:00", "00:00:03:13"),
                               (3, "00:00:03:13", "00:00:06:00")]
    assert "* FROM CLIP NAME: interview take 2.mp4" in text


def test_contact_sheet_shows_every_keyframe(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    with contact_sheet(video, shots, columns=2, tile_width=160) as image:
        assert image.width == 8 + 2 * (160 + 8)
        assert image.height > 2 * 120  # two rows of tiles plus labels and a title
        # the second tile's colour is where the second keyframe was pasted
        assert image.getpixel((8 + 168 + 80, 40 + 60)) == pytest.approx((40, 90, 160), abs=6)


def test_contact_sheet_without_keyframes_says_what_to_do(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    for shot in shots:
        shot.keyframe_path = None
    with pytest.raises(ValueError, match="run the analysis first"):
        render("contact-sheet", video, shots)


# -- subtitles: speakers and a second language ----------------------------------------------------

def _said(lines: list[tuple[float, float, str, str | None]], kind: str = "speech",
          language: str = "de") -> list[TextSegment]:
    return [TextSegment(video_id="v", kind=kind, start_s=start, end_s=end, text=text, speaker=speaker,
                        language=language) for start, end, text, speaker in lines]


ORIGINAL = _said([(1.0, 3.0, "Guten Tag & willkommen.", "S1"), (3.5, 5.0, "Wie geht es dir?", "S2"),
                  (5.5, 6.0, "Danke.", None)])
# Whisper's translation track: cut by its own windows, not at the original lines' times
ENGLISH = _said([(1.1, 2.0, "Good day", None), (2.0, 3.2, "and welcome.", None), (3.4, 5.1, "How are you?", None),
                 (5.4, 6.0, "Thanks.", None)], "translation", "en")


def test_speaker_names_default_to_their_number() -> None:
    assert speaker_name("S2", {}) == "Speaker 2" and speaker_name("S12", {"S2": "Anna"}) == "Speaker 12"
    assert speaker_name("S2", {"S2": "Anna"}) == "Anna" and speaker_name(None, {}) == ""


def test_subtitles_name_the_speakers_in_srt_text_and_vtt_voice_tags() -> None:
    video = Video(project_id="p", path="/footage/gespräch.mp4", fingerprint="f", size_bytes=1)
    srt = parse_srt(subtitles("srt", video, ORIGINAL, names={"S2": "Anna"}))
    assert [c.text for c in srt] == ["Speaker 1: Guten Tag & willkommen.", "Anna: Wie geht es dir?", "Danke."]
    vtt_text = subtitles("vtt", video, ORIGINAL, names={"S2": "Anna <B.>"})
    assert "<v Speaker 1>Guten Tag &amp; willkommen." in vtt_text
    vtt = parse_vtt(vtt_text)
    assert [(c.start_s, c.end_s, c.speaker, c.text) for c in vtt] == [
        (1.0, 3.0, "Speaker 1", "Guten Tag & willkommen."), (3.5, 5.0, "Anna <B.>", "Wie geht es dir?"),
        (5.5, 6.0, None, "Danke.")]
    assert [c.text for c in parse_srt(subtitles("srt", video, ORIGINAL, speakers=False))] == [
        "Guten Tag & willkommen.", "Wie geht es dir?", "Danke."]
    assert "<v " not in subtitles("vtt", video, ORIGINAL, speakers=False)


def test_dual_language_subtitles_put_each_translated_line_under_the_line_it_overlaps() -> None:
    video = Video(project_id="p", path="/footage/gespräch.mp4", fingerprint="f", size_bytes=1)
    for fmt, parse in (("srt", parse_srt), ("vtt", parse_vtt)):
        cues = parse(subtitles(fmt, video, ORIGINAL, ENGLISH, "both", speakers=False))
        assert [(c.start_s, c.end_s, c.text) for c in cues] == [
            (1.0, 3.0, "Guten Tag & willkommen.\nGood day and welcome."),
            (3.5, 5.0, "Wie geht es dir?\nHow are you?"), (5.5, 6.0, "Danke.\nThanks.")], fmt
    only = parse_srt(subtitles("srt", video, ORIGINAL, ENGLISH, "translation"))
    assert [(c.start_s, c.text) for c in only] == [(1.1, "Good day"), (2.0, "and welcome."), (3.4, "How are you?"),
                                                   (5.4, "Thanks.")]
    with pytest.raises(ValueError, match="no translation"):
        subtitles("srt", video, ORIGINAL, [], "both")


def test_render_takes_the_track_and_names_speakers_by_default(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    cues = parse_srt(render("srt", video, shots, ORIGINAL, translation=ENGLISH, track="both").decode())
    assert cues[0].text == "Speaker 1: Guten Tag & willkommen.\nGood day and welcome."
    assert render("vtt", video, shots, ORIGINAL).decode().count("<v Speaker") == 2
    with pytest.raises(ValueError, match="unknown subtitle track"):
        render("srt", video, shots, ORIGINAL, translation=ENGLISH, track="german")
    with pytest.raises(ValueError, match="unknown export format"):
        render("docx", video, shots, ORIGINAL)


def test_every_format_renders_from_one_dispatch(tmp_path: Path) -> None:
    video, shots = _video_and_shots(tmp_path)
    summary = Summary(source=LOCAL, overview="Two shots.", chapters=[Chapter(0.0, 2.0, "Start"), Chapter(2.0, 4.0, "End")])
    for fmt in FORMATS:
        if fmt == "youtube-chapters":
            continue  # needs three chapters of 10 s: test_nle
        content = render(fmt, video, shots, ORIGINAL, summary)
        if fmt == "contact-sheet":
            assert Image.open(io.BytesIO(content)).format == "JPEG"
        else:
            assert content.decode("utf-8").strip(), fmt
