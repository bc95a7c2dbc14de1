"""Exact-line accuracy and speed of the OCR engine on frames with burned-in text.

Generates `--frames` 1280×720 frames with ffmpeg's drawtext (DejaVu Sans / Sans Bold / Serif /
Mono), two lines each: sizes 18-72 px, left/centre/right and top/middle/bottom, light text on
dark, dark on light, coloured text, and boxed text over busy test patterns. Each frame goes
through the stage's path (downscaled to ≤ 960 px wide, kept as the visual pass's JPEG, rapidocr,
lines with score ≥ 0.5); a
line counts as read when some detected line equals it exactly after whitespace
normalisation. Reports accuracy and seconds per frame (2 onnxruntime threads) for the stage's
engine and, on the same frames, for the baseline with rapidocr's default detector size (the
short side scaled up to 736 px); `--json` prints one JSON object as the last line.

Target (issue #4): exact-line accuracy ≥ 95 %.

    .venv/bin/python benchmarks/bench_ocr.py [--frames 40] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.modelstore import PP_OCR, ModelStore  # noqa: E402  (benchmarks run from a checkout)
from core.ocr import OcrEngine, normalize_text  # noqa: E402
from core.ocr.engine import DET_MAX_SIDE  # noqa: E402
from core.ocr.frames import MAX_WIDTH  # noqa: E402
from core.visual.sampled_frames import QUALITY as SAMPLED_QUALITY  # noqa: E402

TARGET = 0.95
FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"]
WORDS = ("breaking news harbour closed weather update live election results traffic alert storm "
         "warning market report final score city council meeting tonight sports summary ferry "
         "service delayed north road open river level rising minister visit airport strike").split()
# (background source, text colour, box): light on dark, dark on light, colour, boxed over patterns
STYLES = [
    ("color=c=black", "white", None), ("color=c=navy", "white", None), ("color=c=white", "black", None),
    ("color=c=0xf0e0c0", "0x202020", None), ("color=c=darkgreen", "yellow", None),
    ("color=c=0x303030", "cyan", None), ("smptebars", "white", "black@0.7"),
    ("rgbtestsrc", "white", "0x000080@0.8"), ("color=c=gray", "black", "white@0.8"),
    ("color=c=maroon", "white", None),
]


def make_frames(folder: Path, count: int, seed: int = 7) -> list[tuple[Path, list[str]]]:
    rng = random.Random(seed)
    fonts = [f for f in FONTS if (Path("/usr/share/fonts/truetype/dejavu") / f).exists()]
    frames = []
    for i in range(count):
        source, colour, box = STYLES[i % len(STYLES)]
        lines, filters = [], []
        for row in range(2):
            text = " ".join(rng.sample(WORDS, rng.randint(1, 4)))
            if rng.random() < 0.3:
                text = text.upper()
            elif rng.random() < 0.3:
                text = text.title()
            if rng.random() < 0.25:
                text += f" {rng.randint(1, 2030)}"
            size = rng.choice([18, 22, 28, 36, 48, 60, 72])
            size = min(size, int(1100 / (0.7 * len(text))))  # the whole line stays inside the frame
            x = rng.choice(["40", "(w-text_w)/2", "w-text_w-40"])
            y = rng.choice(["40", "h/5", "h/3"]) if row == 0 else rng.choice(["h/2+20", "h*2/3", "h-text_h-40"])
            font = Path("/usr/share/fonts/truetype/dejavu") / rng.choice(fonts)
            spec = f"drawtext=fontfile={font}:text='{text}':fontsize={size}:fontcolor={colour}:x={x}:y={y}"
            if box:
                spec += f":box=1:boxcolor={box}:boxborderw=8"
            filters.append(spec)
            lines.append(text)
        path = folder / f"frame-{i:03d}.png"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"{source}{':' if '=' in source else '='}size=1280x720:rate=1",
                        "-vf", ",".join(filters), "-frames:v", "1", str(path)], check=True)
        frames.append((path, lines))
    return frames


def evaluate(engine: OcrEngine, frames: list[tuple[Path, list[str]]], stage: bool) -> dict[str, Any]:
    """Exact-line accuracy and seconds per frame of `engine` on `frames` (the stage's downscale;
    `stage`: also the visual pass's JPEG round trip, core.visual.sampled_frames)."""
    engine.read(np.zeros((64, 256, 3), np.uint8))  # warm-up
    total = correct = 0
    seconds = 0.0
    misses = []
    for path, expected in frames:
        image = Image.open(path).convert("RGB")
        width = min(MAX_WIDTH, image.width)
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.BOX)
        if stage:
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=SAMPLED_QUALITY)
            image = Image.open(buffer).convert("RGB")
        rgb = np.asarray(image, np.uint8)
        t0 = time.perf_counter()
        found = {normalize_text(line.text) for line in engine.read(rgb)}
        seconds += time.perf_counter() - t0
        for text in expected:
            total += 1
            if normalize_text(text) in found:
                correct += 1
            else:
                misses.append({"frame": path.name, "expected": text, "found": sorted(found)})
    return {"lines": total, "correct": correct, "accuracy": round(correct / total, 4),
            "seconds_per_frame": round(seconds / len(frames), 3), "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        frames = make_frames(Path(tmp), args.frames)
        files = ModelStore(Path(tmp)).files(PP_OCR.name)
        started = time.perf_counter()
        engine = OcrEngine(files, cpu_threads=2)
        load_s = time.perf_counter() - started
        ours = evaluate(engine, frames, stage=True)
        baseline = evaluate(OcrEngine(files, cpu_threads=2, det_max_side=None), frames, stage=False)
    summary = {**ours, "target": TARGET, "ok": ours["accuracy"] >= TARGET, "frames": len(frames),
               "load_s": round(load_s, 2), "width": MAX_WIDTH, "det_max_side": DET_MAX_SIDE,
               "baseline": baseline}
    for name, result in ((f"stage (JPEG q{SAMPLED_QUALITY} frames, detector ≤ {DET_MAX_SIDE} px)", ours),
                         ("baseline (decoded frames, detector's short side ≥ 736 px)", baseline)):
        print(f"{name}: exact lines {result['correct']}/{result['lines']} = {100 * result['accuracy']:.1f} % "
              f"(target ≥ {100 * TARGET:.0f} %); {result['seconds_per_frame']:.3f} s per frame")
    print(f"speed: the stage takes {ours['seconds_per_frame'] / max(baseline['seconds_per_frame'], 1e-9):.2f}× "
          f"the baseline's time per frame (≤ {MAX_WIDTH} px wide, 2 threads); load {load_s:.2f} s")
    for miss in ours["misses"]:
        print(f"  missed {miss['expected']!r} in {miss['frame']}: {miss['found']}")
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
