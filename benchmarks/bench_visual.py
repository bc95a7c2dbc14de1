"""Speed of the visual pass against plain decoding and PySceneDetect, on the same clips.

For each generated clip (720p and 1080p, 60 s, H.264 as cameras and phones write it),
this runs, in one invocation and interleaved:
  1. `ffmpeg -v error -i CLIP -f null -`             decode only (all threads)
  2. PySceneDetect AdaptiveDetector, PyAV backend     shot detection only (subprocess:
     PySceneDetect needs OpenCV, which must not share a process with our PyAV decoding)
  3. our complete visual pass                         shots + keyframes + sprite + black +
                                                      features, one decode (subprocess)
Each is run `--repeat` times and the fastest kept (this machine is noisy). Prints times,
the ratios, and our pass's peak RSS; `--json` prints one JSON object as the last line.

Targets (issue #3): ours ≤ 1.2 × decode-only, ours ≤ 0.8 × PySceneDetect.
Needs PySceneDetect for (2): `.venv/bin/pip install scenedetect "opencv-python-headless<5"`.

    .venv/bin/python benchmarks/bench_visual.py [--seconds 60] [--repeat 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import make_cut_video  # noqa: E402  (benchmarks run from a checkout)
TARGET_VS_DECODE = 1.2
TARGET_VS_PYSCENEDETECT = 0.8

PYSCENEDETECT = r"""
import json, sys, time
from scenedetect import AdaptiveDetector, SceneManager
from scenedetect.backends.pyav import VideoStreamAv
video = VideoStreamAv(sys.argv[1])
manager = SceneManager()
manager.add_detector(AdaptiveDetector())
start = time.perf_counter()
manager.detect_scenes(video)
print(json.dumps({"seconds": time.perf_counter() - start, "shots": len(manager.get_scene_list())}))
"""

OURS = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from core.media.probe import probe
from core.visual.visual_pass import run_visual_pass
path = Path(sys.argv[1])
media = probe(path)
start = time.perf_counter()
result = run_visual_pass(path, "bench", media, Path(sys.argv[2]), lambda f, m: None)
seconds = time.perf_counter() - start
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "shots": len(result.shots), "frames": result.frames, "peak_rss_mb": rss_mb}))
"""


def make_clip(path: Path, size: str, seconds: int) -> Path:
    """Scenes of different lavfi sources, cut every 5 s, H.264 (x264 'fast', CRF 23)."""
    sources = ("testsrc2", "mandelbrot", "cellauto", "smptebars", "life", "gradients")
    return make_cut_video(path, (5.0,) * max(1, seconds // 5), size=size, fps=30, sources=sources,
                          codec=("-c:v", "libx264", "-preset", "fast", "-crf", "23", "-pix_fmt", "yuv420p"))


def time_decode(clip: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "null", "-"], check=True)
    return time.perf_counter() - start


def run_json(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "vip-desktop-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        import scenedetect  # noqa: F401
    except ImportError:
        print('PySceneDetect is missing: .venv/bin/pip install scenedetect "opencv-python-headless<5"',
              file=sys.stderr)
        return 2

    results = []
    for label, size in (("720p", "1280x720"), ("1080p", "1920x1080")):
        clip = make_clip(args.cache / f"visual-{label}-{args.seconds}s.mp4", size, args.seconds)
        decode, psd, ours = [], [], []
        info: dict[str, float] = {}
        for _ in range(args.repeat):
            decode.append(time_decode(clip))
            psd.append(run_json(PYSCENEDETECT, str(clip))["seconds"])
            info = run_json(OURS, str(clip), str(args.cache / "out" / label), str(ROOT))
            ours.append(info["seconds"])
        row = {
            "clip": label, "seconds_of_video": args.seconds, "frames": int(info["frames"]),
            "decode_only_s": round(min(decode), 2), "pyscenedetect_adaptive_s": round(min(psd), 2),
            "ours_s": round(min(ours), 2), "ours_shots": int(info["shots"]),
            "ours_peak_rss_mb": round(info["peak_rss_mb"], 1),
        }
        row["ours_vs_decode"] = round(row["ours_s"] / row["decode_only_s"], 3)
        row["ours_vs_pyscenedetect"] = round(row["ours_s"] / row["pyscenedetect_adaptive_s"], 3)
        results.append(row)
        print(f"{label}: decode-only {row['decode_only_s']} s, PySceneDetect {row['pyscenedetect_adaptive_s']} s, "
              f"ours {row['ours_s']} s ({row['ours_shots']} shots) → {row['ours_vs_decode']}× decode "
              f"(target ≤ {TARGET_VS_DECODE}), {row['ours_vs_pyscenedetect']}× PySceneDetect "
              f"(target ≤ {TARGET_VS_PYSCENEDETECT}); peak RSS {row['ours_peak_rss_mb']} MB", flush=True)
    ok = all(r["ours_vs_decode"] <= TARGET_VS_DECODE and r["ours_vs_pyscenedetect"] <= TARGET_VS_PYSCENEDETECT
             for r in results)
    summary = {"clips": results, "target_vs_decode": TARGET_VS_DECODE,
               "target_vs_pyscenedetect": TARGET_VS_PYSCENEDETECT, "ok": ok, "cpu_count": os.cpu_count()}
    if args.json:
        print(json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
