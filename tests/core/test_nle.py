"""Editing-software hand-off: every format parsed back with a real parser (OpenTimelineIO and its
FCPXML / xmeml adapters from PyPI, ElementTree, OTIO's timecode parser), frame-exact at 23.976,
25 and 29.97 drop-frame."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from core.nle import (HandOffError, Marker, Media, Select, markers_timeline, render_marker_list, render_timeline,
                      selects_timeline, timecode)

RATES = {"23.976": 24000 / 1001, "25": 25.0, "29.97": 30000 / 1001}


def _media(fps: float, origin: float = 0.0) -> Media:
    return Media(path="/footage/Harbour interview.mp4", name="Harbour interview.mp4", fps=round(fps, 3),
                 duration_s=1200.0, origin_s=origin, width=1280, height=720)


def _markers(media: Media) -> list[tuple[Marker, int, int]]:
    """Markers placed on known frames (their middle, so rounding cannot move them): (marker, frame, length)."""
    rate = media.rate
    placed = [("shot", 0, 1, "Shot 1"), ("speech", 1234, 48, "Speaker 1: the harbour is closed"),
              ("text", 2000, 120, "BREAKING NEWS"), ("chapter", 4321, 500, "Storm warning"),
              ("person", 9876, 77, "Ada Lovelace"), ("shot", 17981, 1, "Shot 2")]  # 17981: past 10 min at 29.97 DF
    out = []
    for kind, frame, length, text in placed:
        start = media.origin_s + float((Fraction(frame) + Fraction(1, 2)) / rate)
        end = media.origin_s + float((Fraction(frame + length) + Fraction(1, 2)) / rate)
        out.append((Marker(kind, start, end, text), frame, length))
    return out


@pytest.mark.parametrize("name", RATES)
def test_markers_come_back_frame_exact_from_otio_fcpxml_and_xmeml(name: str) -> None:
    media = _media(RATES[name], origin=1.4)
    placed = _markers(media)
    timeline = markers_timeline(media, [m for m, _, _ in placed])
    expected = sorted((text, frame, length) for (m, frame, length) in placed for text in [m.text])
    for fmt, adapter in (("otio", "otio_json"), ("xmeml", "fcp_xml")):
        back = otio.adapters.read_from_string(render_timeline(fmt, timeline, media), adapter)
        (clip,) = list(back.find_clips())
        assert clip.media_reference.target_url == Path(media.path).as_uri()
        found = sorted((m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value))
                       for m in clip.markers)
        assert found == expected, fmt
        assert all(m.marked_range.start_time.rate == pytest.approx(float(media.rate)) for m in clip.markers)
        if fmt == "otio":
            assert {m.name: m.color for m in clip.markers}["BREAKING NEWS"] == "YELLOW"
            assert {m.name: m.color for m in clip.markers}["Storm warning"] == "RED"
    # FCPXML: ElementTree and FCPXML's rational seconds give the frames at every rate. (The fcpx_xml
    # adapter from PyPI reads NTSC rates as whole numbers, 23 instead of 23.976 frames a second,
    # so its reading is compared only at 25 fps.)
    fcpxml = render_timeline("fcpxml", timeline, media)
    root = ET.fromstring(fcpxml.split("\n", 2)[2])
    assert Fraction(root.find("./resources/format").get("frameDuration", "")[:-1]) == 1 / media.rate
    asset = root.find("./resources/asset")
    assert asset is not None and asset.get("src") == Path(media.path).as_uri()
    clip_element = root.find(".//spine/asset-clip")
    assert clip_element is not None and clip_element.get("ref") == asset.get("id")

    def frames(value: str | None) -> int:
        exact = Fraction((value or "")[:-1]) * media.rate
        assert exact.denominator == 1, value  # on a frame boundary
        return int(exact)

    found = sorted((e.get("value"), frames(e.get("start")), frames(e.get("duration")))
                   for e in clip_element if e.tag in ("marker", "chapter-marker"))
    assert found == expected
    assert [e.get("value") for e in clip_element if e.tag == "chapter-marker"] == ["Storm warning"]
    assert root.find(".//sequence").get("tcFormat") == ("DF" if name == "29.97" else "NDF")
    if name == "25":
        read = otio.adapters.read_from_string(fcpxml, "fcpx_xml")
        (clip,) = list(read[0].find_clips())
        assert sorted((m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value))
                      for m in clip.markers) == [e for e in expected if e[0] != "Storm warning"]


@pytest.mark.parametrize("name", RATES)
def test_resolve_and_avid_marker_lists_carry_drop_frame_timecodes(name: str) -> None:
    media = _media(RATES[name])
    placed = _markers(media)
    rate = float(media.rate)
    edl = render_marker_list("resolve-markers", media, [m for m, _, _ in placed])
    assert edl.splitlines()[1] == ("FCM: DROP FRAME" if name == "29.97" else "FCM: NON-DROP FRAME")
    events = re.findall(r"^\d{3}  001      V     C        (\S+) \S+ \S+ \S+  \n \|C:(\w+) \|M:(.*) \|D:(\d+)$", edl, re.M)
    assert [(otio.opentime.from_timecode(tc, rate).value, color, text, int(d)) for tc, color, text, d in events] == \
        [(frame, f"ResolveColor{c}", m.text, length) for (m, frame, length), c in
         zip(placed, ["Blue", "Green", "Yellow", "Red", "Purple", "Blue"])]
    if name == "29.97":
        assert events[-1][0] == "00:09:59;29"  # frame 17981; the next one is 00:10:00;00 (no frames dropped at 10 min)
    avid = [line.split("\t") for line in render_marker_list("avid-markers", media, [m for m, _, _ in placed]).splitlines()]
    assert [(otio.opentime.from_timecode(row[1], rate).value, row[3], row[4], int(row[5])) for row in avid] == \
        [(frame, c, m.text, length) for (m, frame, length), c in
         zip(placed, ["blue", "green", "yellow", "red", "magenta", "blue"])]


def test_timecodes_at_the_three_rates() -> None:
    assert timecode(17982, _media(30000 / 1001)) == "00:10:00;00"
    assert timecode(1800, _media(30000 / 1001)) == "00:01:00;02"
    assert timecode(1440, _media(24000 / 1001)) == "00:01:00:00"
    assert timecode(1500, _media(25.0)) == "00:01:00:00"


def test_selects_are_subclips_of_the_originals_with_handles() -> None:
    a, b = _media(25.0), Media(path="/footage/b.mov", name="b.mov", fps=29.97, duration_s=20.0)
    timeline = selects_timeline([Select(a, 10.0, 12.0, "harbour closed"), Select(b, 0.1, 19.9, "storm"),
                                 Select(a, 1199.5, 1200.0, "end")], handles=12)
    for fmt, adapter in (("otio", "otio_json"), ("xmeml", "fcp_xml")):
        back = otio.adapters.read_from_string(render_timeline(fmt, timeline, a), adapter)
        clips = [(c.name, c.media_reference.target_url, round(c.source_range.start_time.value),
                  round(c.source_range.duration.value)) for c in back.find_clips()]
        assert clips == [("harbour closed", "file:///footage/Harbour%20interview.mp4", 250 - 12, 50 + 24),
                         ("storm", "file:///footage/b.mov", 0, 599),  # the handles stop at the file's ends
                         ("end", "file:///footage/Harbour%20interview.mp4", 29987 - 12, 12 + 13)], fmt
    with pytest.raises(HandOffError, match="No selects"):
        selects_timeline([])


def test_youtube_chapters_start_at_zero_and_need_three_of_ten_seconds() -> None:
    media = _media(25.0, origin=0.5)
    chapters = [Marker("chapter", 0.5 + s, 0.5 + s + 30, t) for s, t in ((2.0, "Intro"), (40.0, "Storm"), (95.0, "Harbour"))]
    assert render_marker_list("youtube-chapters", media, [*chapters, Marker("shot", 1, 2, "Shot 1")]) == \
        "0:00 Intro\n0:40 Storm\n1:35 Harbour\n"
    with pytest.raises(HandOffError, match="at least 3 chapters of 10 s or more; Harbour interview.mp4 has 2 chapters"):
        render_marker_list("youtube-chapters", media, chapters[:2])


def test_the_export_dispatch_knows_every_hand_off_format() -> None:
    from core.export import HAND_OFF_FORMATS
    from core.nle import MARKER_LIST_FORMATS, TIMELINE_FORMATS

    assert HAND_OFF_FORMATS == (*TIMELINE_FORMATS, *MARKER_LIST_FORMATS)
