"""Peak memory of an analysis worker with every model loaded (speech, OCR, faces).

Runs `vip analyze` as an operator would, in a fresh data dir, on generated clips that
exercise every stage: H.264 720p video with cuts, burned-in captions, and spoken English
(espeak-ng) on the audio track. While it runs, the peak resident set (VmHWM) of every
worker process is read from /proc (the worker loads each model once and keeps it, so
the second clip shows whether memory grows per video).

Target (issue #4): peak worker RSS with all models loaded ≤ 1.5 GB.

    .venv/bin/python benchmarks/bench_memory.py [--seconds 60] [--clips 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import make_cut_video  # noqa: E402  (benchmarks run from a checkout)

TARGET_MB = 1536
CACHE = Path.home() / ".cache" / "vip-desktop-bench"
SPEECH = ("The harbour tour starts at nine in the morning. On the left you can see the old lighthouse, "
          "built more than a century ago. Our guide will explain how the ships found their way at night. "
          "Please keep your tickets ready and stay behind the yellow line. ")


def make_clip(path: Path, seconds: int, index: int) -> Path:
    """A 720p clip with cuts, a caption that changes every 5 s, and speech over the whole length."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        scenes = tuple(float(min(6 + (i + index) % 5, seconds)) for i in range(seconds // 6 + 1))
        silent = make_cut_video(Path(tmp) / "cuts.mp4", seconds=scenes, size="1280x720")
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), SPEECH * (1 + seconds // 20)], check=True)
        captions = ",".join(
            f"drawtext=text='Caption {i + 1} of clip {index}':x=60:y=h-120:fontsize=48:fontcolor=white:"
            f"box=1:boxcolor=black@0.6:enable='between(t,{5 * i},{5 * i + 5})'" for i in range(seconds // 5))
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(silent), "-i", str(wav),
                        "-map", "0:v", "-map", "1:a", "-vf", captions, "-c:v", "libx264", "-preset", "veryfast",
                        "-c:a", "aac", "-t", str(seconds), str(path)], check=True)
    return path


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def is_worker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"worker" in cmdline


def worker_peaks(proc: subprocess.Popen[str], every_s: float = 0.1) -> dict[int, int]:
    """Peak resident set (VmHWM, kB) of each worker process under `proc`, read until it exits."""
    peak: dict[int, int] = {}
    while proc.poll() is None:
        for pid in descendants(proc.pid):
            if is_worker(pid):
                hwm = status_kb(pid, "VmHWM")
                if hwm:
                    peak[pid] = max(peak.get(pid, 0), hwm)
        time.sleep(every_s)
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    clips = [make_clip(CACHE / f"memory-{args.seconds}s-{i}.mp4", args.seconds, i) for i in range(args.clips)]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as data:
        env = {**os.environ, "VIP_DATA_DIR": data, "VIP_WORKERS": "1"}
        env.pop("VIP_MONGO_URI", None)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "app", "analyze", "--json", *map(str, clips)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        peak = worker_peaks(proc)
        out, _ = proc.communicate()
        seconds = time.perf_counter() - started
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    names = list(dict.fromkeys(name for r in records for name in r["stages"]))
    stages = {name: sorted({r["stages"].get(name, "-") for r in records}) for name in names}
    found = {"transcript_segments": sum(len(r["transcript"]) for r in records),
             "text_segments": sum(len(r["on_screen_text"]) for r in records)}
    peak_mb = max(peak.values(), default=0) / 1024
    result = {
        "clips": len(clips), "clip_seconds": args.seconds, "wall_s": round(seconds, 1),
        "worker_processes": len(peak),
        "worker_peak_rss_mb": round(peak_mb, 1), "target_mb": TARGET_MB, "pass": 0 < peak_mb <= TARGET_MB,
        "stages": stages, **found, "exit_code": proc.returncode,
    }
    print(f"clips: {len(clips)} × {args.seconds} s, 720p H.264 + speech + captions; analysed in {seconds:.0f} s")
    print(f"stages: {stages}")
    print(f"found: {found['transcript_segments']} transcript segments, {found['text_segments']} text segments")
    print(f"worker processes seen: {len(peak)}")
    print(f"worker peak RSS with all models loaded: {peak_mb:.0f} MB (target ≤ {TARGET_MB} MB)"
          f" — {'PASS' if result['pass'] else 'FAIL'}")
    if args.json:
        print(json.dumps(result))
    return 0 if result["pass"] and proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
