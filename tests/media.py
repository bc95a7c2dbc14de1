"""Generate the test videos with ffmpeg's lavfi sources (no downloads)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MediaSet:
    good: Path  # 4 s, 320x240, 25 fps, h264 + aac
    mkv: Path  # 3 s, 640x360, 30 fps, vp9 in Matroska, no audio
    black_start: Path  # 6 s: 3 s black, then colour bars
    rotated: Path  # 2 s, coded 320x180, display rotation 90° clockwise
    empty: Path
    text: Path
    truncated: Path
    audio_only: Path
    missing: Path


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def make_media(folder: Path) -> MediaSet:
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", str(good))
    mkv = folder / "clip.mkv"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x360:rate=30:duration=3",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", str(mkv))
    black_start = folder / "black_start.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=3",
            "-f", "lavfi", "-i", "smptebars=size=320x240:rate=25:duration=3",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(black_start))
    rotated = folder / "rotated.mp4"
    plain = folder / "rotated_src.mp4"
    # A wide red/blue split frame, stored with a 90° display matrix (like a phone video).
    _ffmpeg("-f", "lavfi", "-i", "color=red:size=160x180:rate=25:duration=2",
            "-f", "lavfi", "-i", "color=blue:size=160x180:rate=25:duration=2",
            "-filter_complex", "[0:v][1:v]hstack[v]", "-map", "[v]",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(plain))
    _ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    text = folder / "notes.mp4"
    text.write_text("These are meeting notes, not a video.\n")
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    audio_only = folder / "voice.mp4"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-c:a", "aac", str(audio_only))
    return MediaSet(
        good=good, mkv=mkv, black_start=black_start, rotated=rotated,
        empty=empty, text=text, truncated=truncated, audio_only=audio_only,
        missing=folder / "does-not-exist.mp4",
    )


def copy_as(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


def make_slow_video(path: Path, seconds: int = 60) -> Path:
    """A 1080p video with a single keyframe: every seek decodes from the start, so its
    probe stage takes seconds (used to kill or stop a worker mid-job)."""
    if not path.exists():
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "100000", "-keyint_min", "100000",
                "-sc_threshold", "0", "-pix_fmt", "yuv420p", str(path))
    return path


SCENES = ("testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "cellauto")


def make_cut_video(path: Path, seconds: tuple[float, ...] = (2.0, 1.5, 2.5), size: str = "320x240",
                   fps: int = 25, codec: tuple[str, ...] = ("-c:v", "libx264", "-pix_fmt", "yuv420p"),
                   extra: tuple[str, ...] = (), sources: tuple[str, ...] = SCENES) -> Path:
    """Concatenate visually different lavfi scenes with hard cuts; the first frame of scene k
    is frame sum(seconds[:k]) * fps. `extra` goes before the output path (e.g. metadata)."""
    if path.exists():
        return path
    inputs: list[str] = []
    for i, length in enumerate(seconds):
        source = sources[i % len(sources)]
        spec = f"{source}=size={size}:rate={fps}"
        if source in ("testsrc2", "smptebars", "rgbtestsrc", "gradients"):
            spec += f":duration={length}"
        inputs += ["-f", "lavfi", "-i", spec]
    parts = "".join(f"[{i}:v]trim=duration={length},setpts=PTS-STARTPTS,format=yuv420p[v{i}];"
                    for i, length in enumerate(seconds))
    joined = "".join(f"[v{i}]" for i in range(len(seconds)))
    graph = f"{parts}{joined}concat=n={len(seconds)}:v=1[out]"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".tmp-" + path.name)
    _ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", *codec, *extra, str(tmp))
    tmp.replace(path)
    return path
