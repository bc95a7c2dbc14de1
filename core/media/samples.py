"""Generate short sample videos (PyAV, no external tools) so a new user can try the flow."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True)
class SampleSpec:
    name: str
    seconds: float
    width: int
    height: int
    fps: int
    scenes: tuple[tuple[int, int, int], ...]  # background colour per scene (equal lengths)
    tone_hz: float | None = None
    rotation: int = 0  # clockwise display rotation stored in the container


SAMPLES = (
    SampleSpec("sample-1-city-cuts.mp4", 8.0, 640, 360, 25,
               ((30, 60, 140), (170, 80, 40), (40, 130, 70), (120, 40, 130)), tone_hz=440.0),
    SampleSpec("sample-2-portrait-phone.mp4", 6.0, 480, 270, 30,
               ((200, 170, 60), (50, 50, 60), (60, 150, 190)), rotation=90),
    SampleSpec("sample-3-studio.mkv", 10.0, 854, 480, 24,
               ((90, 90, 100), (20, 100, 120), (140, 120, 90), (70, 40, 40), (30, 30, 30)),
               tone_hz=660.0),
)


def generate_samples(directory: Path, specs: tuple[SampleSpec, ...] = SAMPLES) -> list[Path]:
    """Write the sample videos into `directory` (skipping ones already there); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        path = directory / spec.name
        if not path.exists():
            tmp = path.with_name(".tmp-" + path.name)
            write_sample(tmp, spec)
            tmp.replace(path)
        paths.append(path)
    return paths


def write_sample(path: Path, spec: SampleSpec) -> None:
    """Encode one sample: coloured scenes with a moving shape and a caption, optional tone."""
    fmt = "matroska" if path.name.endswith(".mkv") else "mp4"
    with av.open(str(path), mode="w", format=fmt) as out:
        video = out.add_stream("libx264", rate=spec.fps)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "26"}
        if spec.rotation:
            video.set_display_rotation(-spec.rotation)  # PyAV takes counter-clockwise degrees
        audio = None
        if spec.tone_hz:
            audio = out.add_stream("aac", rate=44100)
            audio.layout = "mono"
        font = ImageFont.load_default(size=max(14, min(spec.width, spec.height) // 12))
        total = int(spec.seconds * spec.fps)
        per_scene = total // len(spec.scenes)
        for i in range(total):
            scene = min(i // per_scene, len(spec.scenes) - 1)
            image = _frame(spec, i, scene, font)
            if spec.rotation:  # draw upright, store turned back: players rotate it upright
                image = image.rotate(spec.rotation, expand=True)
            frame = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]  # PyAV: untyped
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio is not None:
            _write_tone(out, audio, spec)


def _frame(spec: SampleSpec, i: int, scene: int, font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> Image.Image:
    w, h = (spec.height, spec.width) if spec.rotation in (90, 270) else (spec.width, spec.height)
    base = np.array(spec.scenes[scene], dtype=np.float32)
    ramp = np.linspace(0.6, 1.2, w, dtype=np.float32)[None, :, None]
    pixels = np.clip(base[None, None, :] * ramp, 0, 255).astype(np.uint8)
    pixels = np.repeat(pixels, h, axis=0)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    t = i / spec.fps
    x = int((w - h // 4) * (0.5 + 0.45 * np.sin(t * 1.3 + scene)))
    y = int((h - h // 4) * (0.5 + 0.4 * np.cos(t * 0.9)))
    draw.ellipse((x, y, x + h // 4, y + h // 4), fill=(240, 240, 230))
    draw.text((w // 20, h // 20), f"VIP sample - scene {scene + 1} of {len(spec.scenes)}", fill=(255, 255, 255), font=font)
    draw.text((w // 20, h - h // 8), f"{t:05.2f} s", fill=(255, 255, 255), font=font)
    return image


def _write_tone(out: av.container.OutputContainer, audio: av.AudioStream, spec: SampleSpec) -> None:
    rate = 44100
    samples = int(spec.seconds * rate)
    t = np.arange(samples, dtype=np.float32) / rate
    assert spec.tone_hz is not None
    wave = (0.2 * np.sin(2 * np.pi * spec.tone_hz * t)).astype(np.float32)
    chunk = 1024
    for start in range(0, samples, chunk):
        piece = wave[start:start + chunk][None, :]
        frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for packet in audio.encode(frame):
            out.mux(packet)
    for packet in audio.encode():
        out.mux(packet)
