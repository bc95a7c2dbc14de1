"""Search relevance on a labelled query set: does the right moment come up in the top 3?

Generates a small library of videos (one topic each): spoken sentences (espeak-ng) at known
times and burned-in captions (ffmpeg drawtext) at known times. Analyses them through the
real pipeline (`vip analyze`, embedded database, local workers), then asks the search
service exact queries (words that were said or shown) and paraphrases (the same meaning in
other words). A query counts as found when one of the top 3 videos is the right one and one
of its moments starts within ±2 s of the labelled time.

Target (issue #5): ≥ 90 % of queries found.

    .venv/bin/python benchmarks/bench_relevance.py [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path.home() / ".cache" / "vip-desktop-bench" / "relevance-v1"  # one file per topic
TOLERANCE_S = 2.0
TOP = 3
TARGET = 0.90
GAP_S = 7.0  # a sentence starts every GAP_S seconds

# topic -> (spoken sentences, captions). Captions are shown for 4 s at 2 s, 14 s and 26 s.
LIBRARY: dict[str, tuple[list[str], list[str]]] = {
    "harbour": (["Welcome aboard the harbour tour.",
                 "The lighthouse was built in eighteen fifty two by local fishermen.",
                 "Every morning the boats bring their catch to the fish market.",
                 "Please keep your tickets ready when we reach the pier."],
                ["HARBOUR TOURS", "PIER 4 DEPARTURES", "FISH MARKET OPEN DAILY"]),
    "kitchen": (["Today we are baking bread at home.",
                 "Mix the flour with warm water and a little yeast.",
                 "Let the dough rise for two hours in a warm place.",
                 "Bake it in a hot oven until the crust turns golden."],
                ["GRANDMA'S BREAD RECIPE", "500 G FLOUR", "OVEN 220 C"]),
    "football": (["The home team scored in the final minute of the match.",
                  "The goalkeeper saved a penalty before half time.",
                  "Thousands of supporters sang in the rain.",
                  "The coach said the young striker played the game of his life."],
                 ["FINAL SCORE 2 - 1", "PENALTY SAVED", "MAN OF THE MATCH"]),
    "astronomy": (["Tonight we point the telescope at the planet Saturn.",
                   "Its rings are made of countless pieces of ice and rock.",
                   "The best time to watch the meteor shower is after midnight.",
                   "Light from the nearest star takes more than four years to reach us."],
                  ["OBSERVATORY LIVE", "SATURN RINGS", "PERSEIDS PEAK AUGUST 12"]),
    "garden": (["Spring is the time to plant tomatoes and beans.",
                "Water the seedlings early in the morning, never at noon.",
                "Snails love young lettuce, so protect the beds at night.",
                "Compost made from kitchen scraps feeds the soil for free."],
               ["VEGETABLE GARDEN", "PLANTING CALENDAR", "ORGANIC COMPOST"]),
    "garage": (["First we lift the car and remove the front wheel.",
                "The brake pads are worn down to the metal.",
                "Always tighten the wheel nuts in a star pattern.",
                "Check the tyre pressure once a month to save fuel."],
               ["BRAKE SERVICE", "TORQUE 110 NM", "TYRE PRESSURE 2.3 BAR"]),
}

# Near neighbours of the topics above (same words, other facts), so a query must find the
# right one of two similar videos, not just the right subject.
LIBRARY.update({
    "ferry": (["The ferry leaves the harbour every hour for the island.",
               "From the upper deck you can see the lighthouse keeper's cottage.",
               "Cars must be parked on the lower deck before departure.",
               "The crossing takes forty minutes in calm weather."],
              ["ISLAND FERRY", "DECK 2 CAFE", "NEXT DEPARTURE 14:30"]),
    "bakery": (["Our bakery opens at six with fresh croissants.",
                "The pastry chef folds butter into the dough many times.",
                "Cakes for birthdays must be ordered two days ahead.",
                "Day old bread is sold at half price in the evening."],
               ["CORNER BAKERY", "CROISSANTS 1.20", "BIRTHDAY CAKES TO ORDER"]),
})

# (topic, query, kind, index of the sentence or caption it is about)
QUERIES: list[tuple[str, str, str, int]] = [
    ("harbour", "lighthouse built by fishermen", "speech", 1),
    ("harbour", "when was the tower by the sea constructed", "speech", 1),
    ("harbour", "boats unloading fish in the morning", "speech", 2),
    ("harbour", "pier 4 departures", "text", 1),
    ("kitchen", "flour water yeast", "speech", 1),
    ("kitchen", "how long should the dough prove", "speech", 2),
    ("kitchen", "bread recipe", "text", 0),
    ("kitchen", "oven temperature 220", "text", 2),
    ("football", "goalkeeper saved a penalty", "speech", 1),
    ("football", "fans singing in bad weather", "speech", 2),
    ("football", "final score", "text", 0),
    ("football", "who was the best player", "speech", 3),
    ("astronomy", "telescope Saturn", "speech", 0),
    ("astronomy", "what are the rings made of", "speech", 1),
    ("astronomy", "when to see shooting stars", "speech", 2),
    ("astronomy", "Perseids peak", "text", 2),
    ("garden", "planting tomatoes and beans", "speech", 0),
    ("garden", "protecting lettuce from slugs", "speech", 2),
    ("garden", "when should I water young plants", "speech", 1),
    ("garden", "planting calendar", "text", 1),
    ("garage", "worn brake pads", "speech", 1),
    ("garage", "how to tighten the wheel bolts", "speech", 2),
    ("garage", "torque 110", "text", 1),
    ("garage", "saving fuel with correct tyre inflation", "speech", 3),
    ("ferry", "how long is the boat trip to the island", "speech", 3),
    ("ferry", "where do cars go on the ship", "speech", 2),
    ("ferry", "next departure", "text", 2),
    ("bakery", "butter folded into pastry", "speech", 1),
    ("bakery", "cheap bread at the end of the day", "speech", 3),
    ("bakery", "order a cake for a birthday", "speech", 2),
]


@dataclass
class Query:
    topic: str
    text: str
    kind: str
    exact: bool
    time_s: float


def sentence_time(i: int) -> float:
    return 1.0 + GAP_S * i


def caption_time(i: int) -> float:
    return 2.0 + 12.0 * i


def make_video(path: Path, sentences: list[str], captions: list[str]) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    duration = sentence_time(len(sentences)) + 3.0
    with tempfile.TemporaryDirectory() as tmp:
        rate = 22050
        track = np.zeros(int(duration * rate), np.int16)
        for i, text in enumerate(sentences):
            wav = Path(tmp) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-s", "155", "-w", str(wav), text], check=True)
            with wave.open(str(wav)) as w:
                samples = np.frombuffer(w.readframes(w.getnframes()), np.int16)
            at = int(sentence_time(i) * rate)
            track[at:at + len(samples)] = samples[: len(track) - at]
        audio = Path(tmp) / "speech.wav"
        with wave.open(str(audio), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(track.tobytes())
        draw = ",".join(
            f"drawtext=text='{c.replace(chr(39), '').replace(':', chr(92) + ':')}':x=(w-text_w)/2:y=h-140:fontsize=56:fontcolor=white:"
            f"box=1:boxcolor=black@0.7:boxborderw=12:enable='between(t,{caption_time(i)},{caption_time(i) + 4})'"
            for i, c in enumerate(captions))
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=1280x720:rate=25:duration={duration}", "-i", str(audio),
                        "-vf", draw, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-shortest", str(path.with_suffix(".part.mp4"))], check=True)
        path.with_suffix(".part.mp4").replace(path)  # no half-written clip in the cache
    return path


def queries() -> list[Query]:
    out = []
    for topic, text, kind, index in QUERIES:
        sentences, captions = LIBRARY[topic]
        source = sentences[index] if kind == "speech" else captions[index]
        words = {w.strip(".,'").casefold() for w in source.split()}
        exact = all(w.strip(".,'").casefold() in words for w in text.split())
        out.append(Query(topic, text, kind, exact, sentence_time(index) if kind == "speech" else caption_time(index)))
    return out


async def ask(data_dir: Path, asked: list[Query]) -> list[tuple[Query, int | None, float]]:
    from app.settings import Settings
    from app.embedded_db import DatabaseLease
    from app.wiring import build_services

    settings = Settings.load({**os.environ, "VIP_DATA_DIR": str(data_dir)})
    lease = DatabaseLease(settings)
    database = await asyncio.to_thread(lease.acquire)
    services = await build_services(settings, database)
    try:
        await services.search.sync()
        names = {v.id: Path(v.path).stem for v in await services.library.videos()}
        await services.search.search("warm up")  # loads the query model
        answers = []
        for q in asked:
            started = time.perf_counter()
            results = await services.search.search(q.text, limit=TOP)
            took = time.perf_counter() - started
            rank = next((i for i, r in enumerate(results[:TOP]) if names[r.video_id] == q.topic
                         and any(abs(h.start_s - q.time_s) <= TOLERANCE_S for h in r.hits)), None)
            answers.append((q, rank, took))
        return answers
    finally:
        await services.close()
        await asyncio.to_thread(lease.release)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="use (and keep) this data dir instead of a temporary one")
    args = parser.parse_args()
    videos = [make_video(CACHE / f"{topic}.mp4", s, c) for topic, (s, c) in LIBRARY.items()]
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench-relevance-"))
    env = {**os.environ, "VIP_DATA_DIR": str(data_dir), "VIP_WORKERS": "2"}
    env.pop("VIP_MONGO_URI", None)
    started = time.perf_counter()
    analysed = subprocess.run([sys.executable, "-m", "app", "analyze", "--json", "--project", "Relevance",
                               *map(str, videos)], cwd=ROOT, env=env, capture_output=True, text=True)
    analyse_s = time.perf_counter() - started
    records = [json.loads(line) for line in analysed.stdout.splitlines() if line.startswith("{")]
    failed = [r["path"] for r in records if r["status"] != "succeeded"]
    os.environ["VIP_DATA_DIR"] = str(data_dir)
    answers = asyncio.run(ask(data_dir, queries()))
    found = [a for a in answers if a[1] is not None]
    groups: dict[str, list[bool]] = {}
    for q, rank, _ in answers:
        for key in ("all", f"{q.kind} {'exact' if q.exact else 'paraphrase'}"):
            groups.setdefault(key, []).append(rank is not None)
    share = len(found) / len(answers)
    print(f"library: {len(videos)} videos analysed in {analyse_s:.0f} s ({len(failed)} failed)")
    print(f"{'query':<48} {'kind':<7} {'type':<10} result")
    for q, rank, took in answers:
        print(f"{q.text[:47]:<48} {q.kind:<7} {'exact' if q.exact else 'paraphrase':<10} "
              f"{'#' + str(rank + 1) if rank is not None else 'MISSED'}  ({took * 1000:.0f} ms)")
    for key, hits in sorted(groups.items()):
        print(f"  {key:<20} {sum(hits)}/{len(hits)}")
    print(f"found in the top {TOP} at ±{TOLERANCE_S:g} s: {share:.1%} (target ≥ {TARGET:.0%})"
          f" — {'PASS' if share >= TARGET else 'FAIL'}")
    latencies = sorted(t for _, _, t in answers)
    result = {"queries": len(answers), "found": len(found), "share": round(share, 4), "target": TARGET,
              "pass": share >= TARGET, "groups": {k: round(sum(v) / len(v), 4) for k, v in groups.items()},
              "missed": [q.text for q, rank, _ in answers if rank is None], "videos": len(videos),
              "failed_videos": failed, "analyse_s": round(analyse_s, 1),
              "query_ms_p50": round(latencies[len(latencies) // 2] * 1000, 1)}
    if args.json:
        print(json.dumps(result))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
