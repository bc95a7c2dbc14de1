"""Telling people apart: dlib ResNet face embeddings + average-linkage clustering, beside baselines.

The labelled faces come from registry packages only, cached in ~/.cache/vip-desktop-bench
(fetched on the first run, SHA-256 checked):

- dlib's `examples/johns/` from the Debian source package `dlib` 19.24+dfsg-1 (the same
  upstream tarball bench_faces.py fetches): five men named John, 11 photos each, 150×150 face
  chips. They come from dlib's own face data, which its ResNet may have been trained on.
- face_recognition 1.3.0's sdist (PyPI): `tests/test_images/` obama.jpg, obama2.jpg,
  obama3.jpg and biden.jpg (32bit.png is obama2.jpg again and obama_partial_face*.jpg are cut
  from obama.jpg: left out).
- scikit-image 0.26.0's wheel: `skimage/data/astronaut.png` (Eileen Collins).

Splits: TUNING (John_Salley, John_Savage, John_Schneider: 33 faces) is the only split any
threshold is chosen on; HELD_OUT (John_Shimkus, John_Simm, Obama ×3, Biden, the astronaut:
27 faces, 5 people, 2 of them seen once) is never tuned on.

Each photo goes the stage's way: ≤ 640 px (area scaler), dlib's HOG detector (upsample 1), the
largest face (a chip where HOG finds none falls back to the chip's known face square; the run
counts them), then each embedding:

- `resnet`: core.faces.embedding.FaceEmbedder (5-point alignment, dlib's ResNet, 128-d);
- `pixels`: the same aligned chip at 32×32 grey, zero mean, unit length (does the ResNet matter?);
- `histogram`: an 8×8×8 RGB histogram of the aligned chip, square-rooted (Hellinger), unit length;

and core.faces.clustering.cluster (average linkage) at the threshold that gives the best
pairwise F1 on TUNING (each embedding its own; `resnet` is also shown at dlib's documented 0.6).
Trivial baselines: everyone one person (all-in-one) and everyone alone (all-alone).

Scores, on each split: pairwise precision / recall / F1 over all face pairs (a pair is
positive when clustered together), and verification accuracy of "same person iff distance ≤
threshold" over all pairs (and balanced: the mean of same-pair and different-pair accuracy,
since different pairs outnumber same ones about 4 to 1). `assign`: the held-out faces of three
people arrive first (clustered), then the rest go through `assign_or_cluster` against their
centroids: the pairwise F1 of the result, and how many of the later faces joined the right person
or started a new one when theirs was not known yet.

Measured 2026-12-06 (dlib-bin 20.0.1, 2-core dev machine loaded by others, load average ~6):
HOG found every face (no chip fell back); the ResNet took ~140 ms per face (alignment + embedding;
a batch of 3 faces of one frame took 430 ms: batching does not make it cheaper per face on a CPU).

    held-out (27 faces, 5 people)   threshold  pairwise P     R     F1   verification acc / balanced
    resnet, tuned                     0.577          100.0  100.0  100.0   100.0 / 100.0
    resnet, dlib's 0.6                0.600          100.0  100.0  100.0   100.0 / 100.0
    pixels (aligned chip), tuned      1.369           39.7   64.6   49.2    53.8 /  60.4
    colour histogram, tuned           0.839           29.4   42.5   34.8    54.4 /  54.8
    all-in-one                                        32.2  100.0   48.7
    all-alone                                        100.0    0.0    0.0

The tuning split gives 100 % for every ResNet threshold from ~0.42 to ~0.73; the tuned value is
the middle of that plateau. On the held-out faces one person's photos lie at most 0.548 apart
(median 0.356) and two people's at least 0.676 apart (median 0.911), so 0.6 (dlib's own) sits in
the gap and core.faces.clustering keeps it. `assign` (3 people known, 20 later faces): ResNet
20/20 right, pairwise F1 100 %; pixels 1/20 (F1 50.4 %), histogram 3/20 (F1 39.2 %).
Caveats: the set is small and easy (studio portraits and aligned chips, no profiles, blur or
small faces), the held-out score is saturated, and the Johns may be in the ResNet's training
data; expect lower numbers on video frames.

    .venv/bin/python benchmarks/bench_people.py [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_faces import CACHE, _fetch_dlib_tarball, _sha256, _skimage, stage_sample  # noqa: E402

from core.faces.clustering import THRESHOLD, assign_or_cluster, centroids, cluster, distances  # noqa: E402
from core.faces.detector import FaceBox, HogFaceDetector  # noqa: E402
from core.faces.embedding import FaceEmbedder  # noqa: E402
from core.modelstore import DLIB_FACES, ModelStore  # noqa: E402

JOHNS = "dlib-19.24+dfsg/examples/johns/"
FACE_RECOGNITION = "face_recognition==1.3.0"
FACE_RECOGNITION_SDIST = "face_recognition-1.3.0.tar.gz"
FACE_RECOGNITION_SHA256 = "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"
FACE_RECOGNITION_IMAGES = {  # member of tests/test_images → person
    "obama.jpg": "Barack_Obama", "obama2.jpg": "Barack_Obama", "obama3.jpg": "Barack_Obama",
    "biden.jpg": "Joe_Biden",
}
TUNING_PEOPLE = ("John_Salley", "John_Savage", "John_Schneider")
HELD_OUT_PEOPLE = ("John_Shimkus", "John_Simm", "Barack_Obama", "Joe_Biden", "Eileen_Collins")
FIRST_VIDEO = ("John_Shimkus", "Barack_Obama", "Eileen_Collins")  # known before the `assign` run
TUNING, HELD_OUT = "tuning", "held-out"
CHIP_FACE = FaceBox(25, 25, 100, 100)  # where a 150 px dlib chip (padding 0.25) has its face


@dataclass
class Face:
    person: str
    source: str
    path: Path
    box: FaceBox | None = None  # in the ≤ 640 px image
    fallback: bool = False
    image: npt.NDArray[np.uint8] | None = None


# -- the labelled set -----------------------------------------------------------------------------

def _johns(cache: Path) -> list[Face]:
    folder = cache / "dlib-johns"
    if not folder.is_dir():
        tarball = _fetch_dlib_tarball(cache / "debian")
        with tarfile.open(tarball) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.startswith(JOHNS):
                    target = folder / member.name[len(JOHNS):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    assert source is not None
                    target.write_bytes(source.read())
    return [Face(path.parent.name, "dlib examples/johns", path) for path in sorted(folder.glob("*/*.jpg"))]


def _face_recognition(cache: Path) -> list[Face]:
    folder = cache / "face_recognition"
    download = cache / "pypi"
    sdist = download / FACE_RECOGNITION_SDIST
    if not all((folder / name).is_file() for name in FACE_RECOGNITION_IMAGES):
        if not sdist.is_file():
            print(f"fetching {FACE_RECOGNITION} (PyPI sdist, no dependencies) …", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                            FACE_RECOGNITION, "-d", str(download)], check=True)
        if _sha256(sdist) != FACE_RECOGNITION_SHA256:
            raise SystemExit(f"{sdist} is not the pinned {FACE_RECOGNITION} sdist (SHA-256 differs)")
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdist) as archive:
            for name in FACE_RECOGNITION_IMAGES:
                source = archive.extractfile(f"face_recognition-1.3.0/tests/test_images/{name}")
                assert source is not None
                (folder / name).write_bytes(source.read())
    return [Face(person, "face_recognition tests", folder / name) for name, person in FACE_RECOGNITION_IMAGES.items()]


def load_faces(cache: Path = CACHE) -> list[Face]:
    faces = _johns(cache) + _face_recognition(cache)
    faces.append(Face("Eileen_Collins", "scikit-image data", _skimage(cache, "astronaut.png")))
    return faces


def locate(faces: Sequence[Face], detector: HogFaceDetector) -> None:
    """Each photo as the stage samples it, and its largest face."""
    for face in faces:
        rgb = np.asarray(Image.open(face.path).convert("RGB"), np.uint8)
        small, _, _ = stage_sample(rgb) if max(rgb.shape[:2]) > 640 else (rgb, 1.0, 1.0)
        found = detector.detect(small)
        face.image = small
        if found:
            face.box = max(found, key=lambda b: b.w * b.h)
        elif small.shape[:2] == (150, 150):
            face.box, face.fallback = CHIP_FACE, True


# -- embeddings -----------------------------------------------------------------------------------

def _unit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return out


def embeddings(faces: Sequence[Face], embedder: FaceEmbedder) -> tuple[dict[str, npt.NDArray[np.float32]], float]:
    resnet, pixels, histogram = [], [], []
    seconds = 0.0
    for face in faces:
        assert face.image is not None and face.box is not None
        t0 = time.perf_counter()
        resnet.append(embedder.embed(face.image, [face.box])[0])
        seconds += time.perf_counter() - t0
        chip = embedder.chips(face.image, [face.box])[0]
        grey = np.asarray(Image.fromarray(chip).convert("L").resize((32, 32), Image.Resampling.BOX), np.float64)
        pixels.append((grey - grey.mean()).ravel())
        bins = (chip.reshape(-1, 3) // 32).astype(int)
        counts = np.bincount(bins[:, 0] * 64 + bins[:, 1] * 8 + bins[:, 2], minlength=512).astype(np.float64)
        histogram.append(np.sqrt(counts / counts.sum()))
    return ({"resnet": np.asarray(resnet, np.float32), "pixels": _unit(np.asarray(pixels)),
             "histogram": _unit(np.asarray(histogram))}, seconds / max(1, len(faces)))


# -- scores ---------------------------------------------------------------------------------------

def _pairs(n: int) -> tuple[npt.NDArray[np.int_], npt.NDArray[np.int_]]:
    i, j = np.triu_indices(n, 1)
    return i, j


def pairwise(truth: Sequence[str], labels: Sequence[int]) -> dict[str, Any]:
    i, j = _pairs(len(truth))
    t, p = np.asarray(truth), np.asarray(labels)
    same, together = t[i] == t[j], p[i] == p[j]
    tp = int((same & together).sum())
    fp, fn = int((~same & together).sum()), int((same & ~together).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "people_found": len(set(labels)), "people": len(set(truth))}


def verification(truth: Sequence[str], vectors: npt.NDArray[np.float32], threshold: float) -> dict[str, Any]:
    i, j = _pairs(len(truth))
    t = np.asarray(truth)
    same = t[i] == t[j]
    d = distances(vectors, vectors)[i, j]
    said = d <= threshold
    same_acc = float((said[same]).mean()) if same.any() else 1.0
    diff_acc = float((~said[~same]).mean()) if (~same).any() else 1.0
    return {"accuracy": round(float((said == same).mean()), 4), "balanced": round((same_acc + diff_acc) / 2, 4),
            "same_pairs": int(same.sum()), "different_pairs": int((~same).sum())}


def tune(truth: Sequence[str], vectors: npt.NDArray[np.float32]) -> float:
    """The threshold with the best pairwise F1 of `cluster` on these faces: the middle of the
    range of thresholds that reach it (the widest margin on both sides)."""
    i, j = _pairs(len(truth))
    d = distances(vectors, vectors)[i, j]
    grid = np.linspace(np.quantile(d, 0.01), np.quantile(d, 0.99), 197)
    f1 = np.asarray([pairwise(truth, cluster(vectors, t))["f1"] for t in grid])
    best = grid[f1 == f1.max()]
    return float(best[len(best) // 2])


def margins(truth: Sequence[str], vectors: npt.NDArray[np.float32]) -> dict[str, float]:
    """The farthest two photos of one person and the nearest two of different people."""
    i, j = _pairs(len(truth))
    t = np.asarray(truth)
    same = t[i] == t[j]
    d = distances(vectors, vectors)[i, j]
    return {"same_max": round(float(d[same].max()), 4), "same_median": round(float(np.median(d[same])), 4),
            "different_min": round(float(d[~same].min()), 4),
            "different_median": round(float(np.median(d[~same])), 4)}


def run_assign(truth: Sequence[str], vectors: npt.NDArray[np.float32], threshold: float) -> dict[str, Any]:
    """FIRST_VIDEO's faces (the first half of each person's photos) clustered, then everything else assigned."""
    order = [k for k, person in enumerate(truth) if person in FIRST_VIDEO]
    first = [k for k in order if sum(1 for m in order if truth[m] == truth[k] and m < k) < max(
        1, sum(1 for m in order if truth[m] == truth[k]) // 2)]
    later = [k for k in range(len(truth)) if k not in first]
    known = cluster(vectors[first], threshold)
    later_labels = assign_or_cluster(vectors[later], centroids(vectors[first], known), threshold=threshold,
                                     assign_threshold=threshold)
    labels = [0] * len(truth)
    for k, label in zip(first, known):
        labels[k] = label
    for k, label in zip(later, later_labels):
        labels[k] = label
    person_of_label = {label: truth[k] for k, label in zip(first, known)}
    known_people = {truth[m] for m in first}

    def right(k: int, label: int) -> bool:
        """A known person's face joined them; a stranger's face did not join anyone known."""
        return person_of_label.get(label) == truth[k] if truth[k] in known_people else label not in person_of_label

    joined = sum(right(k, label) for k, label in zip(later, later_labels))
    return {"first": len(first), "later": len(later), "later_right": joined, **pairwise(truth, labels)}


def evaluate(faces: Sequence[Face], vectors: dict[str, npt.NDArray[np.float32]]) -> dict[str, Any]:
    split_of = {p: TUNING for p in TUNING_PEOPLE} | {p: HELD_OUT for p in HELD_OUT_PEOPLE}
    rows: dict[str, Any] = {}
    idx = {s: [k for k, f in enumerate(faces) if split_of[f.person] == s] for s in (TUNING, HELD_OUT)}
    truth = {s: [faces[k].person for k in idx[s]] for s in idx}
    methods: list[tuple[str, str, float | None]] = [("resnet", "resnet", None), ("resnet@0.6", "resnet", THRESHOLD),
                                                    ("pixels", "pixels", None), ("histogram", "histogram", None)]
    for name, embedding, fixed in methods:
        x = {s: vectors[embedding][idx[s]] for s in idx}
        threshold = fixed if fixed is not None else tune(truth[TUNING], x[TUNING])
        rows[name] = {"threshold": round(threshold, 4)}
        for s in idx:
            rows[name][s] = {"clustering": pairwise(truth[s], cluster(x[s], threshold)),
                             "verification": verification(truth[s], x[s], threshold)}
        rows[name]["assign"] = run_assign(truth[HELD_OUT], x[HELD_OUT], threshold)
        rows[name]["distances"] = {s: margins(truth[s], x[s]) for s in idx}
    trivial: dict[str, Callable[[int], list[int]]] = {"all-in-one": lambda n: [0] * n,
                                                      "all-alone": lambda n: list(range(n))}
    for name, labelling in trivial.items():
        rows[name] = {s: {"clustering": pairwise(truth[s], labelling(len(truth[s])))} for s in idx}
    return rows


def print_results(rows: dict[str, Any]) -> None:
    for split in (TUNING, HELD_OUT):
        print(f"\n{split}: clustering (pairwise P / R / F1, people found) and verification (all pairs at the threshold)")
        print(f"  {'method':<12} {'thresh':>6} {'P':>6} {'R':>6} {'F1':>6} {'people':>7} {'verif acc':>9} {'balanced':>8}")
        for name, row in rows.items():
            c = row[split]["clustering"]
            v = row[split].get("verification")
            thr = f"{row['threshold']:6.3f}" if "threshold" in row else f"{'':6}"
            ver = f"{100 * v['accuracy']:9.1f} {100 * v['balanced']:8.1f}" if v else f"{'':9} {'':8}"
            print(f"  {name:<12} {thr} {100 * c['precision']:6.1f} {100 * c['recall']:6.1f} {100 * c['f1']:6.1f} "
                  f"{c['people_found']:>3}/{c['people']:<3} {ver}")
    print("\ndistances: the farthest pair of one person's photos / the nearest pair of two people's (medians)")
    for name, row in rows.items():
        if "distances" in row and name != "resnet@0.6":
            print(f"  {name:<12} " + "   ".join(
                f"{s}: {d['same_max']:.3f} / {d['different_min']:.3f} ({d['same_median']:.3f} / {d['different_median']:.3f})"
                for s, d in row["distances"].items()))
    print(f"\nassign on {HELD_OUT}: {', '.join(FIRST_VIDEO)} known from a first video (half their photos), "
          "the rest assigned or made new people")
    for name, row in rows.items():
        if "assign" in row:
            a = row["assign"]
            print(f"  {name:<12} pairwise F1 {100 * a['f1']:5.1f} (P {100 * a['precision']:.1f} R {100 * a['recall']:.1f}); "
                  f"{a['later_right']}/{a['later']} later faces joined the right person or started a new one")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    faces = load_faces()
    files = ModelStore(Path(tempfile.mkdtemp(prefix="bench-people-models-"))).files(DLIB_FACES.name)
    locate(faces, HogFaceDetector(upsample=1))
    missing = [f for f in faces if f.box is None]
    if missing:
        raise SystemExit(f"no face found in {[str(f.path) for f in missing]}")
    vectors, embed_s = embeddings(faces, FaceEmbedder(files))
    rows = evaluate(faces, vectors)
    people = sorted({f.person for f in faces})
    print(f"people: {len(faces)} faces of {len(people)} people; tuning {TUNING_PEOPLE}, held-out {HELD_OUT_PEOPLE}; "
          f"{sum(f.fallback for f in faces)} chips where HOG found no face used the chip's face square; "
          f"ResNet {1000 * embed_s:.1f} ms per face (alignment + embedding)")
    print_results(rows)
    if args.json:
        print(json.dumps({"faces": len(faces), "people": len(people), "fallback": sum(f.fallback for f in faces),
                          "embed_ms_per_face": round(1000 * embed_s, 1), "results": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
