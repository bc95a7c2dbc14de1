"""Shot-boundary detection on small generated videos (ffmpeg lavfi sources)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.visual.shots import Boundary, ShotDetector
from core.visual.visual_pass import detect_shots

FPS = 25
SIZE = "320x180"


def _render(path: Path, graph: str, *extra: str) -> Path:
    """Render the filter graph (its last output label is the video) to an H.264 file."""
    last = graph.rsplit("[", 1)[1].rstrip("]")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-filter_complex", graph, "-map", f"[{last}]",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", *extra, str(path)],
                   check=True)
    return path


def _scene(source: str, frames: int, label: str, hue: int = 0, extra: str = "") -> str:
    """A scene of `frames` frames: source, hue shift, light noise, exact length."""
    return (f"{source},scale={SIZE},setsar=1,format=yuv420p,hue=h={hue}{extra},"
            f"noise=alls=4:allf=t,trim=end_frame={frames},settb=1/{FPS},setpts=N[{label}]")


TESTSRC = f"testsrc2=s={SIZE}:r={FPS}"
BARS = f"smptebars=s={SIZE}:r={FPS}"
MANDEL = f"mandelbrot=s={SIZE}:r={FPS}"


def detect(path: Path) -> list[Boundary]:
    """The boundaries the visual stage finds (the whole visual pass, as a job runs it)."""
    return detect_shots(path, path.parent / (path.stem + "-pass"))


def _kinds(found: list[Boundary]) -> list[tuple[int, str]]:
    return [(b.frame, b.kind) for b in found]


def test_hard_cuts_are_found_at_the_first_frame_of_each_shot(tmp_path: Path) -> None:
    graph = ";".join([_scene(TESTSRC, 30, "a"), _scene(BARS, 40, "b", hue=120),
                      _scene(MANDEL, 35, "c"), "[a][b][c]concat=n=3:v=1:a=0[v]"])
    found = detect(_render(tmp_path / "cuts.mp4", graph))
    assert [b.kind for b in found] == ["cut", "cut"]
    assert [b.frame for b in found] == pytest.approx([30, 70], abs=1)
    assert [b.time_s for b in found] == pytest.approx([30 / FPS, 70 / FPS], abs=1.5 / FPS)


def test_fade_out_then_fade_in_is_one_fade(tmp_path: Path) -> None:
    graph = ";".join([
        _scene(TESTSRC, 50, "a", extra=",fade=t=out:start_frame=35:nb_frames=15"),
        _scene(BARS, 50, "b", hue=200, extra=",fade=t=in:start_frame=0:nb_frames=15"),
        "[a][b]concat=n=2:v=1:a=0[v]"])
    found = detect(_render(tmp_path / "fade.mp4", graph))
    assert len(found) == 1 and found[0].kind == "fade"
    assert found[0].frame == pytest.approx(50, abs=4)  # the darkest frame / first of the new shot


def test_cross_dissolve_is_one_dissolve_placed_mid_transition(tmp_path: Path) -> None:
    graph = ";".join([_scene(TESTSRC, 75, "a"), _scene(BARS, 75, "b", hue=240),
                      f"[a][b]xfade=transition=fade:duration=1:offset={50 / FPS}[v]"])
    found = detect(_render(tmp_path / "dissolve.mp4", graph))
    assert len(found) == 1 and found[0].kind == "dissolve"
    assert 50 <= found[0].frame <= 75  # inside the transition, near its middle (62)


def test_white_flash_and_fast_motion_are_not_boundaries(tmp_path: Path) -> None:
    flash = ";".join([_scene(TESTSRC, 75, "v", extra=",drawbox=x=0:y=0:w=iw:h=ih:color=white@1"
                             ":t=fill:enable='between(n,30,31)'")])
    assert detect(_render(tmp_path / "flash.mp4", flash)) == []
    pan = (f"testsrc2=s=1280x720:r={FPS},crop=640:360:x='320+300*sin(2*PI*t/2)'"
           f":y='180+170*sin(2*PI*t/1.6)'")
    motion = _scene(pan, 100, "v")
    assert detect(_render(tmp_path / "pan.mp4", motion)) == []


def test_boundaries_carry_the_pts_times_of_a_late_stream(tmp_path: Path) -> None:
    graph = ";".join([_scene(TESTSRC, 30, "a"), _scene(BARS, 30, "b", hue=120), "[a][b]concat=n=2:v=1:a=0[v]"])
    found = detect(_render(tmp_path / "late.mp4", graph, "-output_ts_offset", "1.5"))
    assert [(b.frame, b.kind) for b in found] == [(30, "cut")]
    assert found[0].time_s == pytest.approx(1.5 + 30 / FPS, abs=0.5 / FPS)


def _texture(seed: int) -> np.ndarray:
    """A blocky random colour picture, (72, 128, 3) uint8."""
    rng = np.random.default_rng(seed)
    return np.kron(rng.integers(0, 256, (9, 16, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))


def test_detector_on_synthetic_frames_keeps_a_bounded_window() -> None:
    det = ShotDetector(25.0)
    shots = [_texture(s) for s in (1, 2, 3)]
    for i in range(3000):
        det.push(i, i / 25, shots[min(i // 1000, 2)])
        assert len(det._buf) <= (det._buf.maxlen or 0) <= 100  # a few seconds of features
    assert _kinds(det.finish()) == [(1000, "cut"), (2000, "cut")]


def test_no_boundary_at_the_start_and_none_for_a_still_picture() -> None:
    det = ShotDetector(30.0)
    det.push(0, 0.0, _texture(7))  # a different first frame is not a shot of its own
    for i in range(1, 90):
        det.push(i, i / 30, _texture(8))
    assert det.finish() == []


def test_a_flash_in_the_dark_does_not_split_a_fade() -> None:
    det = ShotDetector(25.0)
    a, b = _texture(11), _texture(12)
    black = np.zeros_like(a)
    white = np.full_like(a, 255)
    ramp = [(a * (1 - k / 15)).astype(np.uint8) for k in range(1, 16)]
    rise = [(b * (k / 15)).astype(np.uint8) for k in range(1, 16)]
    frames = [a] * 40 + ramp + [black] * 30 + [white] * 2 + [black] * 30 + rise + [b] * 40
    for i, rgb in enumerate(frames):
        det.push(i, i / 25, rgb)
    found = det.finish()
    assert [b.kind for b in found] == ["fade"]
    assert found[0].frame == pytest.approx(40 + 15 + 30 + 2 + 30 - 1, abs=1)  # the last black frame
